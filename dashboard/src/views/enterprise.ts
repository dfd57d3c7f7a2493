/**
 * Enterprise view: its three ratios over the window and live, then every ledger device by
 * line with its state in the live bucket, online fraction over the window, why it is offline
 * (device unreachable / gateway down / never connected) and when it was last heard. Choosing
 * a device (`#/enterprise/<id>/device/<device>`) opens its recent values as a line chart.
 */
import { api, ApiError, type DeviceAvailability, type EnterpriseDetail, type Series } from '../api.ts';
import { Chart, seriesLines } from '../charts.ts';
import { fill, h } from '../dom.ts';
import { clock, pct } from '../format.ts';
import { t } from '../i18n.ts';
import { industryName, type Ctx, type View } from '../state.ts';
import { badge, card, emptyState, meter, stateBadge, timeAgo, tone } from './common.ts';

const SERIES_WINDOW = '1h';
const SERIES_POINTS = 720;

export class EnterpriseView implements View {
  readonly #root: HTMLElement;
  readonly #main = h('div');
  readonly #list = h('div');
  #shown = false;
  readonly #devicePanel = h('section', {
    class: 'panel device-panel',
    'data-testid': 'device-panel',
    hidden: true,
  });
  readonly #chartHost = h('div', { class: 'chart chart-series', 'data-testid': 'device-chart' });
  readonly #chartHead = h('div', { class: 'panel-head' });
  #chart: Chart | undefined;
  #detail: EnterpriseDetail | undefined;
  #missing = false;
  #series: Series[] | undefined;
  #target = 0.5;
  #theta = 0.5;

  constructor(
    private readonly ctx: Ctx,
    container: HTMLElement,
    private readonly id: string,
    private readonly device: string | undefined,
  ) {
    this.#devicePanel.append(this.#chartHead, this.#chartHost);
    // The chart goes between the figures and the device list: in view without scrolling past every line.
    this.#root = h(
      'div',
      { class: 'view', 'data-view': 'enterprise' },
      this.#main,
      this.#devicePanel,
      this.#list,
    );
    container.append(this.#root);
  }

  async load(): Promise<void> {
    const q = { window: this.ctx.window() };
    try {
      const [detail, rates, series] = await Promise.all([
        api.enterprise(this.id, q),
        // The target threshold and θ are the server's settings; the enterprise answer carries neither.
        api.rates({ ...q, enterprise: this.id }),
        this.device
          ? api.series(this.id, this.device, { window: SERIES_WINDOW, limit: SERIES_POINTS })
          : undefined,
        this.ctx.ledger.ensure(),
      ]);
      this.#detail = detail;
      this.#target = rates.target.threshold;
      this.ctx.setTarget(this.#target);
      this.#theta = rates.window.theta;
      this.#series = series;
      this.#missing = false;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) this.#missing = true;
      else throw err;
    }
  }

  render(): void {
    if (this.#missing) {
      fill(
        this.#main,
        backLink(),
        h('div', { class: 'empty', role: 'status' }, t('enterprise.notFound', { id: this.id })),
      );
      return;
    }
    const d = this.#detail;
    if (!d) return;
    const w = d.row.window;
    const target = this.#target;
    document.title = `${d.row.name} · ${pct(w.networkedRate)}`;
    fill(
      this.#main,
      backLink(),
      h(
        'div',
        { class: 'title-row' },
        h('h1', {}, d.row.name),
        h(
          'p',
          { class: 'tags' },
          h('span', { class: 'tag' }, this.ctx.ledger.cityName(d.city)),
          h('span', { class: 'tag' }, industryName(d.industry)),
          d.leading ? badge('leading', t('common.leading')) : null,
        ),
      ),
      h(
        'div',
        { class: 'cards' },
        card(
          t('kpi.networkedRate'),
          pct(w.networkedRate),
          t('kpi.windowDetail', {
            networked: w.networkedDigital,
            digital: w.digital,
            theta: pct(this.#theta),
          }),
          { testid: 'enterprise-rate', tone: tone(w.networkedRate, target), raw: w.networkedRate },
        ),
        card(t('kpi.deviceNetworkedRate'), pct(w.deviceNetworkedRate), `${w.networked} / ${w.devices}`, {
          testid: 'enterprise-device-rate',
          raw: w.deviceNetworkedRate,
        }),
        card(t('kpi.digitizationRate'), pct(w.digitizationRate), `${w.digital} / ${w.devices}`, {
          testid: 'enterprise-digitization',
          raw: w.digitizationRate,
        }),
        card(
          t('kpi.live'),
          pct(d.row.live.networkedRate),
          `${d.row.live.networkedDigital} / ${d.row.live.digital} · ${t('kpi.meanOnline')} ${pct(w.meanOnlineFraction)}`,
          {
            testid: 'enterprise-live',
            tone: tone(d.row.live.networkedRate, target),
            raw: d.row.live.networkedRate,
          },
        ),
      ),
    );
    fill(this.#list, this.#devices(d));
    this.#renderDevice();
  }

  /** One table for all lines (columns align), a row group per line with its own header row. */
  #devices(d: EnterpriseDetail): HTMLElement {
    // What explains the KPI first (state, reason, online fraction); kind and gateway give way on phones.
    const headers = [
      ['col.device', ''],
      ['col.state', ''],
      ['col.reason', ''],
      ['col.onlineFraction', ''],
      ['col.lastSeen', ''],
      ['col.digital', ''],
      ['col.kind', 'opt'],
      ['col.node', 'opt'],
    ] as const;
    return h(
      'section',
      { class: 'panel', 'aria-labelledby': 'devices-title' },
      h('h2', { id: 'devices-title' }, t('enterprise.devices')),
      d.lines.length === 0
        ? h('p', { class: 'empty-inline' }, t('enterprise.noDevices'))
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { 'data-testid': 'devices' },
              h('caption', { class: 'sr-only' }, t('enterprise.devices')),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  headers.map(([k, cls]) => h('th', { scope: 'col', class: cls || undefined }, t(k))),
                ),
              ),
              d.lines.map((line) =>
                h(
                  'tbody',
                  { 'data-line': line.id },
                  h(
                    'tr',
                    { class: 'group' },
                    h(
                      'th',
                      { scope: 'colgroup', colspan: headers.length },
                      t('enterprise.line', { line: line.id }),
                      h('span', { class: 'muted' }, ` · ${t('common.devices', { n: line.devices.length })}`),
                    ),
                  ),
                  line.devices.map((dev) => this.#deviceRow(dev)),
                ),
              ),
            ),
          ),
    );
  }

  #deviceRow(dev: DeviceAvailability): HTMLElement {
    const label = dev.name ?? dev.id;
    const selected = dev.id === this.device;
    const href = selected
      ? `#/enterprise/${encodeURIComponent(this.id)}`
      : `#/enterprise/${encodeURIComponent(this.id)}/device/${encodeURIComponent(dev.id)}`;
    const cells = [
      h(
        'span',
        { class: 'device-name' },
        h(
          'a',
          {
            href,
            'aria-current': selected ? 'true' : undefined,
            title: t('enterprise.showChart', { device: label }),
          },
          label,
        ),
        dev.name ? h('span', { class: 'muted small' }, ` ${dev.id}`) : null,
      ),
      stateBadge(dev.online),
      dev.reason
        ? h(
            'span',
            { class: `reason reason-${dev.reason}`, 'data-reason': dev.reason },
            t(`reason.${dev.reason}`),
          )
        : '',
      meter(dev.onlineFraction, this.#theta),
      timeAgo(dev.lastSeen),
      t(dev.digital ? 'common.yes' : 'common.no'),
      h('td', { class: 'opt' }, dev.kind),
      h('td', { class: 'opt' }, dev.node ?? t('common.none')),
    ];
    const [name, ...rest] = cells;
    return h(
      'tr',
      { 'data-device': dev.id },
      h('th', { scope: 'row' }, name),
      rest.map((c) => (c instanceof HTMLTableCellElement ? c : h('td', {}, c))),
    );
  }

  #renderDevice(): void {
    if (!this.device) return;
    if (!this.#shown) {
      this.#shown = true; // once per opening: later refreshes must not move the page under the reader
      queueMicrotask(() => this.#devicePanel.scrollIntoView({ block: 'nearest' }));
    }
    const dev = this.#detail?.lines.flatMap((l) => l.devices).find((x) => x.id === this.device);
    const label = dev?.name ?? this.device;
    this.#devicePanel.hidden = false;
    fill(
      this.#chartHead,
      h('h2', { id: 'device-title' }, t('device.title', { device: label })),
      h('a', { class: 'button', href: `#/enterprise/${encodeURIComponent(this.id)}` }, t('device.close')),
    );
    this.#devicePanel.setAttribute('aria-labelledby', 'device-title');
    const series = this.#series ?? [];
    const points = series.reduce((n, s) => n + s.points.length, 0);
    if (points === 0) {
      this.#chart?.dispose();
      this.#chart = undefined;
      fill(this.#chartHost, emptyState('device.empty'));
      this.#chartHost.classList.add('chart-empty');
      return;
    }
    if (!this.#chart) {
      this.#chartHost.replaceChildren();
      this.#chartHost.classList.remove('chart-empty');
      this.#chart = new Chart(this.#chartHost);
    }
    const last = series.map((s) => {
      const p = s.points.at(-1);
      return p ? `${s.metric} ${String(p.value)} (${clock(p.time, true)})` : s.metric;
    });
    this.#chart.set(seriesLines(series), `${t('device.title', { device: label })}: ${last.join(', ')}`);
  }

  dispose(): void {
    this.#chart?.dispose();
    this.#root.remove();
  }
}

function backLink(): HTMLElement {
  return h('p', { class: 'crumbs' }, h('a', { href: '#/' }, `← ${t('enterprise.back')}`));
}

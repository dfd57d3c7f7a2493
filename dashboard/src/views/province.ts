/**
 * Province view: the Hebei KPI at a glance. The headline is the province's networked rate of
 * digital equipment over the chosen window; beside it the live rate, the target check over
 * leading enterprises of key industries, and the two other ratios. Below: the trend, rates per
 * city and per industry against the target line, the target list and every enterprise.
 */
import { api, type RatesReport, type RateRow } from '../api.ts';
import { barHeight, Chart, rateBars, trendLine, type BarRow } from '../charts.ts';
import { fill, h } from '../dom.ts';
import { clock, duration, pct } from '../format.ts';
import { t } from '../i18n.ts';
import { industryName, type Ctx, type View } from '../state.ts';
import { loadTrend, trendPlan } from '../trend.ts';
import { badge, card, emptyState, GATEWAY_COMMAND, table, tone } from './common.ts';
import { EnterpriseTable, rateClass } from './enterprise-table.ts';

/** Each trend point walks the whole ledger on the server: refresh it at most this often. */
const TREND_MIN_INTERVAL_MS = 60_000;

export class ProvinceView implements View {
  readonly #ctx: Ctx;
  readonly #root: HTMLElement;
  readonly #slots: Record<
    'banner' | 'heading' | 'cards' | 'trendHead' | 'citiesHead' | 'industriesHead' | 'target' | 'table',
    HTMLElement
  >;
  readonly #charts: { trend: Chart; cities: Chart; industries: Chart };
  readonly #table: EnterpriseTable;
  #report: RatesReport | undefined;
  #nodes = 0;
  #trend: { window: string; at: number; points: [number, number | null][] } | undefined;
  #trendLoading: { abort: AbortController; window: string } | undefined;

  constructor(ctx: Ctx, container: HTMLElement) {
    this.#ctx = ctx;
    this.#table = new EnterpriseTable(ctx, () => this.render());
    const slot = () => h('div');
    this.#slots = {
      banner: slot(),
      heading: h('h1'),
      cards: h('div', { class: 'cards' }),
      trendHead: slot(),
      citiesHead: slot(),
      industriesHead: slot(),
      target: slot(),
      table: slot(),
    };
    const host = (testid: string) => h('div', { class: 'chart', 'data-testid': testid });
    const trendHost = host('trend-chart');
    const citiesHost = host('cities-chart');
    const industriesHost = host('industries-chart');
    const s = this.#slots;
    this.#root = h(
      'div',
      { class: 'view', 'data-view': 'province' },
      s.banner,
      s.heading,
      s.cards,
      h('section', { class: 'panel' }, s.trendHead, trendHost),
      h(
        'div',
        { class: 'grid-2' },
        h('section', { class: 'panel' }, s.citiesHead, citiesHost),
        h('section', { class: 'panel' }, s.industriesHead, industriesHost),
      ),
      h('section', { class: 'panel', 'data-testid': 'target-panel' }, s.target),
      h('section', { class: 'panel' }, s.table),
    );
    container.append(this.#root);
    this.#charts = {
      trend: new Chart(trendHost),
      cities: new Chart(citiesHost),
      industries: new Chart(industriesHost),
    };
  }

  async load(): Promise<void> {
    const win = this.#ctx.window();
    const [report, nodes] = await Promise.all([
      api.rates({ window: win }),
      api.nodes(),
      this.#ctx.ledger.ensure(),
    ]);
    this.#report = report;
    this.#ctx.setTarget(report.target.threshold);
    this.#nodes = nodes.nodes.length;
    const stale =
      !this.#trend || this.#trend.window !== win || Date.now() - this.#trend.at >= TREND_MIN_INTERVAL_MS;
    if (this.#trendLoading && this.#trendLoading.window !== win) this.#trendLoading.abort.abort();
    if (stale && this.#trendLoading?.window !== win) void this.#loadTrend(report, win);
  }

  async #loadTrend(report: RatesReport, win: ReturnType<Ctx['window']>): Promise<void> {
    const loading = { abort: new AbortController(), window: win };
    const abort = loading.abort;
    this.#trendLoading = loading;
    try {
      const points = await loadTrend(report, trendPlan(win), abort.signal);
      this.#trend = { window: win, at: Date.now(), points };
      this.#renderTrend();
    } catch {
      // The figures above carry their own error banner; a trend that failed is retried next refresh.
    } finally {
      if (this.#trendLoading === loading) this.#trendLoading = undefined;
    }
  }

  render(): void {
    const r = this.#report;
    if (!r) return;
    const s = this.#slots;
    const target = r.target.threshold;
    // The window shown, for a reader (or the browser test) to ask the API for the same one.
    this.#root.dataset.window = `${r.window.from}/${r.window.to}`;
    document.title = `${t('app.title')} · ${pct(r.province.window.networkedRate)}`;
    fill(
      s.banner,
      this.#nodes === 0
        ? emptyState('empty.noGateway', {
            command: GATEWAY_COMMAND,
            after: 'empty.noGatewayAfter',
            testid: 'empty-gateways',
          })
        : null,
    );
    fill(s.heading, `${this.#ctx.ledger.regionName(r.province.name)} · ${t('kpi.networkedRate')}`);
    this.#renderCards(r);
    this.#renderTrend();

    const bars = (rows: readonly RateRow[], name: (row: RateRow) => string): BarRow[] =>
      rows.map((row) => ({
        name: name(row),
        rate: row.window.networkedRate,
        networked: row.window.networkedDigital,
        digital: row.window.digital,
      }));
    const cities = bars(r.cities, (row) => this.#ctx.ledger.cityName(row.id, row.name));
    const industries = bars(r.industries, (row) => industryName(row.id));
    fill(s.citiesHead, h('h2', {}, t('chart.cities')));
    fill(s.industriesHead, h('h2', {}, t('chart.industries')));
    this.#charts.cities.host.style.height = `${barHeight(cities.length)}px`;
    this.#charts.industries.host.style.height = `${barHeight(industries.length)}px`;
    this.#charts.cities.set(rateBars(cities, target), summary(t('chart.cities'), cities));
    this.#charts.industries.set(rateBars(industries, target), summary(t('chart.industries'), industries));

    this.#renderTarget(r);
    fill(
      s.table,
      h('h2', {}, t('table.enterprises')),
      r.enterprises.length === 0
        ? emptyState('empty.noEnterprises')
        : this.#table.render(r.enterprises, target),
    );
  }

  #renderCards(r: RatesReport): void {
    const target = r.target.threshold;
    const w = r.province.window;
    const live = r.province.live;
    fill(
      this.#slots.cards,
      card(
        t('kpi.networkedRate'),
        pct(w.networkedRate),
        t('kpi.windowDetail', {
          networked: w.networkedDigital,
          digital: w.digital,
          theta: pct(r.window.theta),
        }),
        { testid: 'province-rate', tone: tone(w.networkedRate, target), raw: w.networkedRate },
      ),
      card(
        t('kpi.live'),
        pct(live.networkedRate),
        t('kpi.liveDetail', {
          networked: live.networkedDigital,
          digital: live.digital,
          bucket: `${clock(r.liveBucket)}–${clock(r.liveBucket + r.window.widthMs)}`,
        }),
        { testid: 'live-rate', tone: tone(live.networkedRate, target), raw: live.networkedRate },
      ),
      card(
        t('target.title'),
        `${r.target.met} / ${r.target.total}`,
        t('target.detail', { threshold: pct(target) }),
        {
          testid: 'target-count',
          tone: r.target.total === 0 ? 'neutral' : r.target.met === r.target.total ? 'good' : 'bad',
        },
      ),
      card(
        t('kpi.deviceNetworkedRate'),
        pct(w.deviceNetworkedRate),
        [
          `${t('kpi.digitizationRate')} ${pct(w.digitizationRate)} · ${t('kpi.meanOnline')} ${pct(w.meanOnlineFraction)}`,
          h('br'),
          t('kpi.ratiosDetail', { devices: w.devices, digital: w.digital }),
        ],
        { testid: 'other-ratios', raw: w.deviceNetworkedRate },
      ),
    );
  }

  #renderTrend(): void {
    const r = this.#report;
    if (!r) return;
    const plan = trendPlan(this.#ctx.window());
    const ready = this.#trend?.window === this.#ctx.window();
    fill(
      this.#slots.trendHead,
      h('h2', {}, t('chart.trend')),
      h(
        'p',
        { class: 'muted sub' },
        ready ? t('chart.trendDetail', { step: duration(plan.stepMs) }) : t('chart.loading'),
      ),
    );
    const points = ready ? (this.#trend?.points ?? []) : [];
    const text = points.map(([time, v]) => `${clock(time)} ${pct(v)}`).join(', ');
    this.#charts.trend.set(
      trendLine(points, r.target.threshold, plan.stepMs),
      `${t('chart.trend')}: ${text}`,
    );
  }

  #renderTarget(r: RatesReport): void {
    const target = r.target;
    const rows = target.entries.map((e) => [
      h('a', { href: `#/enterprise/${encodeURIComponent(e.enterprise)}` }, e.name),
      this.#ctx.ledger.cityName(e.city),
      industryName(e.industry),
      h(
        'span',
        { class: `num strong ${rateClass(e.networkedRate, target.threshold)}` },
        pct(e.networkedRate),
      ),
      badge(e.meets ? 'meets' : 'misses', t(e.meets ? 'target.meets' : 'target.misses')),
    ]);
    fill(
      this.#slots.target,
      h('h2', {}, `${t('target.list')} · ${target.met} / ${target.total}`),
      h('p', { class: 'muted sub' }, t('target.detail', { threshold: pct(target.threshold) })),
      rows.length === 0
        ? h('p', { class: 'empty-inline' }, t('target.none'))
        : table(
            t('target.list'),
            [t('col.enterprise'), t('col.city'), t('col.industry'), t('kpi.networkedRate'), t('col.state')],
            rows,
            { testid: 'target-table' },
          ),
    );
  }

  dispose(): void {
    this.#trendLoading?.abort.abort();
    for (const c of Object.values(this.#charts)) c.dispose();
    this.#root.remove();
  }
}

function summary(title: string, rows: readonly BarRow[]): string {
  return `${title}: ${rows.map((r) => `${r.name} ${r.rate === null ? t('chart.noDevices') : pct(r.rate)}`).join(', ')}`;
}

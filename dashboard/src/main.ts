/**
 * The dashboard shell: header (title, views, window, language), status line (live stream,
 * last update, cloud health), hash routing between the views, refresh on live updates, and
 * the token prompt when the API wants a read token.
 *
 * Routes: `#/` province, `#/enterprise/<id>`, `#/enterprise/<id>/device/<device>`, `#/gateways`.
 */
import { api, ApiError, token, type Health } from './api.ts';
import { fill, h } from './dom.ts';
import { clock, duration, pct } from './format.ts';
import { initLang, isMessageKey, lang, locale, setLang, t } from './i18n.ts';
import { LiveUpdates, Refresher } from './live.ts';
import {
  LedgerInfo,
  saveWindow,
  initialWindow,
  windowChoices,
  windowMs,
  type Ctx,
  type View,
  type WindowKey,
} from './state.ts';
import { tokenPrompt } from './token.ts';
import { EnterpriseView } from './views/enterprise.ts';
import { GatewaysView } from './views/gateways.ts';
import { ProvinceView } from './views/province.ts';

/** Figures move at least once a bucket (the live bucket advances) even without traffic. */
const PERIODIC_REFRESH_MS = 30_000;
/** The stream already coalesces to one event a second; this bounds refetches on slow clients. */
const MIN_REFRESH_INTERVAL_MS = 1_000;

type Route =
  { name: 'province' } | { name: 'gateways' } | { name: 'enterprise'; id: string; device?: string };

function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'gateways') return { name: 'gateways' };
  if (parts[0] === 'enterprise' && parts[1]) {
    return parts[2] === 'device' && parts[3]
      ? { name: 'enterprise', id: parts[1], device: parts[3] }
      : { name: 'enterprise', id: parts[1] };
  }
  return { name: 'province' };
}

function windowLabel(w: WindowKey): string {
  const key = `window.${w}`;
  return isMessageKey(key) ? t(key) : t('window.custom', { duration: duration(windowMs(w) ?? 0) });
}

class App {
  readonly #ledger = new LedgerInfo();
  #window: WindowKey = initialWindow();
  #view: View | undefined;
  #route: Route = { name: 'province' };
  /** Bumped on every route change: a load that finishes for an old route is dropped. */
  #generation = 0;
  #updatedAt: number | undefined;
  /** Unknown until the stream first opens or fails. */
  #live: boolean | undefined;
  #health: Health | undefined;
  #error: string | undefined;
  #tokenShown = false;
  #target = 0.5;
  readonly #ctx: Ctx = {
    window: () => this.#window,
    ledger: this.#ledger,
    setTarget: (threshold) => {
      if (threshold === this.#target) return;
      this.#target = threshold;
      this.#renderHeader();
    },
  };
  readonly #skipLink = h('a', { class: 'skip', href: '#view', onclick: (ev) => this.#skip(ev) });
  readonly #header = h('header', { class: 'top' });
  readonly #status = h('div', { class: 'statusbar', role: 'status', 'aria-live': 'polite' });
  readonly #banner = h('div', { class: 'banner-slot' });
  readonly #main = h('main', { id: 'view', tabindex: '-1' });
  readonly #refresher = new Refresher(() => this.#refresh(), MIN_REFRESH_INTERVAL_MS);
  readonly #stream = new LiveUpdates(
    (e) => {
      if (e.ledgerVersion !== undefined) void this.#ledger.ensure(e.ledgerVersion).catch(() => undefined);
      this.#refresher.request();
    },
    (connected) => {
      this.#live = connected;
      this.#renderStatus();
    },
  );

  constructor(root: HTMLElement) {
    root.append(this.#skipLink, this.#header, this.#status, this.#banner, this.#main);
  }

  start(): void {
    window.addEventListener('hashchange', () => this.#go());
    setInterval(() => this.#refresher.request(), PERIODIC_REFRESH_MS);
    this.#stream.start();
    this.#go();
  }

  #skip(ev: Event): void {
    ev.preventDefault(); // the hash is the router's; move focus without navigating
    this.#main.focus();
  }

  #go(): void {
    this.#route = parseRoute(location.hash);
    this.#generation++;
    this.#view?.dispose();
    this.#tokenShown = false;
    fill(this.#main);
    const r = this.#route;
    this.#view =
      r.name === 'gateways'
        ? new GatewaysView(this.#ctx, this.#main)
        : r.name === 'enterprise'
          ? new EnterpriseView(this.#ctx, this.#main, r.id, r.device)
          : new ProvinceView(this.#ctx, this.#main);
    this.#renderHeader();
    this.#refresher.reset();
    this.#refresher.request();
  }

  async #refresh(): Promise<void> {
    const view = this.#view;
    const generation = this.#generation;
    if (!view) return;
    void api
      .health()
      .then((hl) => {
        this.#health = hl;
        this.#renderStatus();
      })
      .catch(() => undefined);
    try {
      await view.load();
      if (generation !== this.#generation) return;
      this.#error = undefined;
      this.#updatedAt = Date.now();
      view.render();
    } catch (err) {
      if (generation !== this.#generation) return;
      if (err instanceof ApiError && err.status === 401) {
        this.#showToken();
        return;
      }
      this.#error = t('error.load', { message: err instanceof Error ? err.message : String(err) });
    }
    this.#renderBanner();
    this.#renderStatus();
  }

  #showToken(): void {
    if (this.#tokenShown) return;
    this.#tokenShown = true;
    this.#view?.dispose();
    this.#view = undefined;
    fill(
      this.#main,
      tokenPrompt(token() !== undefined, () => {
        this.#stream.start(); // reopen the stream with the new token
        this.#go();
      }),
    );
  }

  #setWindow(w: WindowKey): void {
    if (w === this.#window) return;
    this.#window = w;
    saveWindow(w);
    this.#renderHeader();
    this.#refresher.reset();
    this.#refresher.request();
  }

  #toggleLang(): void {
    setLang(lang() === 'zh' ? 'en' : 'zh');
    this.#renderHeader();
    this.#renderStatus();
    this.#renderBanner();
    if (this.#tokenShown) {
      this.#tokenShown = false;
      this.#showToken();
    } else this.#view?.render();
  }

  #renderHeader(): void {
    document.documentElement.lang = locale();
    this.#skipLink.textContent = t('nav.skip');
    const r = this.#route.name;
    const navLink = (href: string, label: string, active: boolean) =>
      h('a', { href, 'aria-current': active ? 'page' : undefined }, label);
    fill(
      this.#header,
      h(
        'div',
        { class: 'brand' },
        h('span', { class: 'logo', 'aria-hidden': 'true' }, '联'),
        h(
          'div',
          {},
          h('p', { class: 'app-title' }, t('app.title')),
          h('p', { class: 'app-subtitle' }, t('app.subtitle', { target: pct(this.#target) })),
        ),
      ),
      h(
        'nav',
        { 'aria-label': t('nav.label') },
        navLink('#/', t('nav.province'), r !== 'gateways'),
        navLink('#/gateways', t('nav.gateways'), r === 'gateways'),
      ),
      h(
        'div',
        { class: 'controls' },
        r === 'gateways'
          ? null
          : h(
              'div',
              { class: 'seg', role: 'group', 'aria-label': t('window.label'), 'data-testid': 'window' },
              windowChoices().map((w) =>
                h(
                  'button',
                  {
                    type: 'button',
                    'data-window': w,
                    'aria-pressed': w === this.#window ? 'true' : 'false',
                    onclick: () => this.#setWindow(w),
                  },
                  windowLabel(w),
                ),
              ),
            ),
        h(
          'button',
          {
            type: 'button',
            class: 'lang',
            'data-testid': 'lang',
            lang: lang() === 'zh' ? 'en' : 'zh-CN',
            title: t('lang.label'),
            'aria-label': `${t('lang.label')}: ${t('lang.other')}`,
            onclick: () => this.#toggleLang(),
          },
          t('lang.other'),
        ),
      ),
    );
  }

  #renderStatus(): void {
    const hl = this.#health;
    fill(
      this.#status,
      this.#live === undefined
        ? null
        : h(
            'span',
            { class: this.#live ? 'live on' : 'live off', 'data-testid': 'live-state' },
            h('span', { class: 'dot', 'aria-hidden': 'true' }),
            t(this.#live ? 'live.on' : 'live.off'),
          ),
      this.#updatedAt === undefined
        ? null
        : h('span', { 'data-testid': 'updated' }, t('live.updated', { time: clock(this.#updatedAt, true) })),
      hl ? h('span', { class: `health health-${hl.status}` }, t(`health.${hl.status}`)) : null,
    );
  }

  #renderBanner(): void {
    fill(
      this.#banner,
      this.#error
        ? h(
            'div',
            { class: 'banner error', role: 'alert' },
            h('span', {}, this.#error),
            h(
              'button',
              { type: 'button', class: 'button', onclick: () => this.#refresher.request() },
              t('error.retry'),
            ),
          )
        : null,
    );
  }
}

initLang();
const root = document.getElementById('app');
if (root) new App(root).start();

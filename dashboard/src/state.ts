/**
 * What every view shares: the chosen window, the ledger's names and enterprise facts, and the
 * view contract. The ledger is fetched once per ledger version (the stream's update events
 * carry it), because rate rows name an enterprise but not its city or industry, and the
 * region's English names live only in the ledger.
 */
import { api, type LedgerEnterprise, type LedgerResponse } from './api.ts';
import { isMessageKey, lang, t } from './i18n.ts';

/** The window choices every page offers; `?window=2m` in the page's URL adds another (the demo links one). */
export const PRESETS = ['1h', '24h', '7d', '30d'] as const;
/** A window length in the API's syntax (`window=` of /api/rates): 90s, 15m, 24h, 7d. */
export type WindowKey = string;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };
const WINDOW_KEY = 'lianwang.window';

/** Milliseconds of a window in the API's syntax, or undefined when it is not one. */
export function windowMs(w: string): number | undefined {
  const m = /^(\d{1,9})(ms|s|m|h|d|w)$/.exec(w);
  const ms = m ? Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN) : Number.NaN;
  return ms > 0 ? ms : undefined;
}

/** The window named in the page's URL (`?window=`), if it is a valid one. */
export function urlWindow(search: string = location.search): WindowKey | undefined {
  const w = new URLSearchParams(search).get('window') ?? undefined;
  return w !== undefined && windowMs(w) !== undefined ? w : undefined;
}

/** The buttons of the window selector: the presets, and the URL's window when it is another. */
export function windowChoices(): WindowKey[] {
  const extra = urlWindow();
  return extra === undefined || (PRESETS as readonly string[]).includes(extra)
    ? [...PRESETS]
    : [extra, ...PRESETS];
}

/** The URL's window first (a link names what it means to show), then the remembered one, then 24 h. */
export function initialWindow(): WindowKey {
  const fromUrl = urlWindow();
  if (fromUrl !== undefined) return fromUrl;
  try {
    const w = localStorage.getItem(WINDOW_KEY);
    return w !== null && windowChoices().includes(w) ? w : '24h';
  } catch {
    return '24h';
  }
}

export function saveWindow(w: WindowKey): void {
  try {
    localStorage.setItem(WINDOW_KEY, w);
  } catch {
    // Not remembered across reloads; still applied.
  }
}

/** A page of the dashboard. `load` fetches, `render` draws from what was loaded (also after a language switch). */
export interface View {
  load(): Promise<void>;
  render(): void;
  dispose(): void;
}

export class LedgerInfo {
  #data: LedgerResponse | undefined;
  #loading: Promise<void> | undefined;
  #wanted = 0;

  /** Fetches the ledger when it is older than `version` (or was never fetched). */
  async ensure(version?: number): Promise<void> {
    if (version !== undefined) this.#wanted = Math.max(this.#wanted, version);
    if (this.#data && this.#data.version >= this.#wanted) return;
    this.#loading ??= api
      .ledgerAll()
      .then((d) => {
        this.#data = d;
      })
      .finally(() => {
        this.#loading = undefined;
      });
    await this.#loading;
  }

  regionName(fallback: string): string {
    const r = this.#data?.region;
    return lang() === 'en' && r?.nameEn ? r.nameEn : fallback;
  }

  cityName(id: string, fallback = id): string {
    const c = this.#data?.region.cities.find((x) => x.id === id);
    if (!c) return fallback;
    return lang() === 'en' && c.nameEn ? c.nameEn : c.name;
  }

  enterprise(id: string): LedgerEnterprise | undefined {
    return this.#data?.enterprises.find((e) => e.id === id);
  }
}

/** An industry id in the current language (the id itself for one the catalogue lacks). */
export function industryName(id: string): string {
  const key = `industry.${id}`;
  return isMessageKey(key) ? t(key) : id;
}

export interface Ctx {
  window(): WindowKey;
  readonly ledger: LedgerInfo;
  /** The server's target threshold, as the latest report gave it (the header names it). */
  setTarget(threshold: number): void;
}

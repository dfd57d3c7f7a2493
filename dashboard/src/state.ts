/**
 * What every view shares: the chosen window, the ledger's names and enterprise facts, and the
 * view contract. The ledger is fetched once per ledger version (the stream's update events
 * carry it), because rate rows name an enterprise but not its city or industry, and the
 * region's English names live only in the ledger.
 */
import { api, type LedgerResponse } from './api.ts';
import { isMessageKey, lang, t } from './i18n.ts';

export const WINDOWS = ['1h', '24h', '7d', '30d'] as const;
export type WindowKey = (typeof WINDOWS)[number];

const WINDOW_KEY = 'lianwang.window';

export function savedWindow(): WindowKey {
  try {
    const w = localStorage.getItem(WINDOW_KEY);
    return WINDOWS.find((x) => x === w) ?? '24h';
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

  get version(): number | undefined {
    return this.#data?.version;
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

  enterprise(id: string): { city: string; industry: string; leading: boolean } | undefined {
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
  navigate(hash: string): void;
  /** The server's target threshold, as the latest report gave it (the header names it). */
  setTarget(threshold: number): void;
}

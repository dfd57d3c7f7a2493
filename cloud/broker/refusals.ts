/**
 * Every refusal of the broker — a CONNECT, a PUBLISH, a SUBSCRIBE, a TLS handshake — is counted,
 * and logged with who, what and why: at most once per identity (or address), kind, reason and topic
 * per interval (a misconfigured gateway retrying every second must not flood the log), and at most
 * `maxLines` lines per interval in all (many clients, many topics). The next line of a key carries
 * how many of it were suppressed meanwhile. Passwords and payloads are never logged.
 */
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';

export type RefusalKind = 'connect' | 'publish' | 'subscribe' | 'tls';

export interface RefusalEvent {
  kind: RefusalKind;
  /** A stable code: bad-password, unknown-user, cert-untrusted, client-id, will, topic, retain, … */
  reason: string;
  /** The identity, or the user name presented when none was established. */
  who: string | undefined;
  clientId?: string | undefined;
  address?: string | undefined;
  topic?: string | undefined;
  detail?: string | undefined;
}

export interface RefusalStats {
  total: number;
  /** `${kind}/${reason}` → count. */
  byReason: Record<string, number>;
}

/** Keys remembered for rate limiting; beyond this the map is cleared (a flood of new client ids). */
const MAX_KEYS = 10_000;
const MAX_TEXT = 256;

const clip = (s: string | undefined): string | undefined =>
  s === undefined || s.length <= MAX_TEXT ? s : `${s.slice(0, MAX_TEXT)}…`;

export class Refusals {
  readonly #log: Logger | undefined;
  readonly #intervalMs: number;
  readonly #counts = new Map<string, number>();
  readonly #lastLogged = new Map<string, { at: number; suppressed: number }>();
  readonly #counter: Counter<'kind' | 'reason'> | undefined;
  readonly #maxLines: number;
  #total = 0;
  #window = { start: 0, lines: 0, suppressed: 0 };

  constructor(opts: {
    log?: Logger | undefined;
    intervalMs?: number;
    /** Log lines per interval in all; default 100. */
    maxLines?: number;
    registry?: Registry | undefined;
  }) {
    this.#log = opts.log;
    this.#intervalMs = opts.intervalMs ?? 10_000;
    this.#maxLines = opts.maxLines ?? 100;
    this.#counter = opts.registry
      ? new Counter({
          name: 'lianwang_broker_refusals_total',
          help: 'Refused broker operations by kind (connect, publish, subscribe, tls) and reason.',
          labelNames: ['kind', 'reason'],
          registers: [opts.registry],
        })
      : undefined;
  }

  record(e: RefusalEvent, now = Date.now()): void {
    this.#total++;
    const countKey = `${e.kind}/${e.reason}`;
    this.#counts.set(countKey, (this.#counts.get(countKey) ?? 0) + 1);
    this.#counter?.inc({ kind: e.kind, reason: e.reason });
    if (!this.#log) return;
    const key = `${e.kind}\0${e.who ?? e.address ?? ''}\0${e.reason}\0${e.topic ?? ''}`;
    const last = this.#lastLogged.get(key);
    if (last && now - last.at < this.#intervalMs) {
      last.suppressed++;
      return;
    }
    const w = this.#window;
    if (now - w.start >= this.#intervalMs) this.#window = { start: now, lines: 0, suppressed: w.suppressed };
    if (this.#window.lines >= this.#maxLines) {
      this.#window.suppressed++;
      return;
    }
    this.#window.lines++;
    const others = this.#window.suppressed;
    this.#window.suppressed = 0;
    if (this.#lastLogged.size >= MAX_KEYS) this.#lastLogged.clear();
    this.#lastLogged.set(key, { at: now, suppressed: 0 });
    this.#log.warn(
      {
        kind: e.kind,
        reason: e.reason,
        who: clip(e.who),
        ...(e.clientId === undefined ? {} : { clientId: clip(e.clientId) }),
        ...(e.address === undefined ? {} : { address: e.address }),
        ...(e.topic === undefined ? {} : { topic: clip(e.topic) }),
        ...(e.detail === undefined ? {} : { detail: clip(e.detail) }),
        ...(last?.suppressed ? { suppressed: last.suppressed } : {}),
        ...(others ? { suppressedOther: others } : {}),
      },
      `refused ${e.kind}`,
    );
  }

  stats(): RefusalStats {
    return { total: this.#total, byReason: Object.fromEntries(this.#counts) };
  }
}

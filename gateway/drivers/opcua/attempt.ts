// One connection attempt of a ServerConnection (session.ts): its client and what hangs off it, how it
// ends, and the timing helpers the attempt's set-up and teardown use.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientSession, ClientSubscription, OPCUAClient } from 'node-opcua';
import type { DialTransports } from './endpoint.ts';
import type { SessionSubscriptions } from './subscriptions.ts';

/** One attempt's client and what hangs off it. */
export interface Live {
  transports: DialTransports;
  client?: OPCUAClient;
  session?: ClientSession;
  subs?: SessionSubscriptions;
  activity: Map<ClientSubscription, number>;
  /** When the connection broke and node-opcua started repairing it. */
  lostAt?: number;
  /** Settles with the reason to rebuild (first call wins). */
  ended: Promise<string>;
  rebuild(reason: string): void;
  disposed: boolean;
}

/** True if `done` settles within `ms`; the timer is cleared either way. */
export async function within(done: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function newLive(transports: DialTransports): Live {
  let settle: (reason: string) => void = () => undefined;
  const ended = new Promise<string>((resolve) => (settle = resolve));
  return { transports, activity: new Map(), ended, rebuild: (reason) => settle(reason), disposed: false };
}

/**
 * Waits for `work`, unless `ended` settles first (stop() or a rebuild reason) or `timeoutMs` passes:
 * then rejects, and `work` — whose client the teardown is about to close — is left to fail quietly.
 */
export async function settleFirst(
  work: Promise<void>,
  ended: Promise<string>,
  timeoutMs: number,
): Promise<void> {
  work.catch(() => undefined);
  const timeout = new AbortController();
  try {
    await Promise.race([
      work,
      ended.then((reason) => Promise.reject(new Error(reason))),
      sleep(timeoutMs, undefined, { signal: timeout.signal }).then(() =>
        Promise.reject(new Error(`no session after ${Math.round(timeoutMs / 1000)} s`)),
      ),
    ]);
  } finally {
    timeout.abort();
  }
}

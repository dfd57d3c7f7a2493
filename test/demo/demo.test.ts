/**
 * `lianwang demo` end to end, as a user runs it: one child process, then only its stdout and its
 * HTTP API. With a compressed timeline (test/demo/timeline.yaml): a simulated device fails and
 * the KPI sees it offline for the right reason; an enterprise's uplink is cut and restored, and
 * the buckets of the outage fill in afterwards — only historical data replayed from the
 * gateway's disk buffer can do that.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeNodeInfo } from '../../cloud/ingest/types.ts';
import type { EnterpriseDetail, RatesReport } from '../../cloud/rates/types.ts';
import { type ManagedProcess, startProcess, untilReady } from '../helpers/process.ts';
import { waitFor } from '../helpers/wait.ts';
import { useServer } from '../helpers/servers.ts';
import { CHROMIUM, launchChromium, screenshot } from '../browser/chromium.ts';

let dir: string;
let demo: ManagedProcess;
let url = '';

const get = async <T>(p: string): Promise<T> => {
  const res = await fetch(new URL(p, url));
  if (!res.ok) throw new Error(`GET ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const nodes = async () => (await get<{ nodes: EdgeNodeInfo[] }>('/api/nodes')).nodes;
const node = async (name: string) => (await nodes()).find((n) => n.node === name);

/** Resolves when the demo has printed a line matching `re` (the timeline prints every step). */
const printed = (re: RegExp, what: string, timeoutMs: number) =>
  waitFor(() => re.test(demo.tail()), { what, timeoutMs, intervalMs: 100, signal: demo.exitSignal });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-demo-'));
  demo = startProcess('lianwang demo', 'node', [
    'bin/lianwang.js',
    'demo',
    '--port',
    '0',
    '--broker-port',
    '0',
    '--data',
    dir,
    '--timeline',
    'test/demo/timeline.yaml',
  ]);
  await untilReady(
    demo,
    () => {
      const m = /demo up after .* open (http:\/\/\[::1\]:\d+\/)/.exec(demo.tail());
      if (m?.[1]) url = m[1];
      return url !== '';
    },
    { what: 'the dashboard URL', timeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await demo?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const chrome = useServer(launchChromium, CHROMIUM);
const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);

describe('lianwang demo', { timeout: 90_000 }, () => {
  it('brings every enterprise into the rates, each with its own rate', async () => {
    let last: RatesReport | undefined;
    await waitFor(
      async () => {
        last = await get<RatesReport>('/api/rates');
        const live = last.enterprises.map((e) => e.live.networkedRate ?? 0);
        return live.length === 3 && live.every((r) => r > 0) && new Set(live).size === 3;
      },
      { what: 'three enterprises with different live rates', timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(last?.window.widthMs).toBe(10_000);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    for (const n of await nodes()) expect(n.devices.filter((d) => d.online).length).toBeGreaterThan(0);
  });

  it('the dashboard in a real browser shows the rates /api/rates reports', async (ctx) => {
    const context = await chrome.get(ctx).browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    // The address the demo printed, with the short window it suggests.
    await page.goto(new URL('?window=2m', url).href);
    const card = page.locator('[data-testid=province-rate] .card-value[data-value]');
    await card.waitFor({ timeout: 30_000 });
    const [from, to] =
      (await page.locator('[data-view=province]').getAttribute('data-window'))?.split('/') ?? [];
    const report = await get<RatesReport>(`/api/rates?from=${from}&to=${to}`);
    expect(await card.textContent()).toBe(pct(report.province.window.networkedRate));
    for (const e of report.enterprises) {
      const cell = page.locator(
        `[data-testid=enterprise-table] tr[data-enterprise=${e.id}] [data-col=networkedRate]`,
      );
      expect(await cell.textContent()).toBe(pct(e.window.networkedRate));
    }
    await page.screenshot({ path: screenshot('demo-province-zh'), fullPage: true });
    await context.close();
  });

  it('a failed device goes offline as device_unreachable, and comes back', async () => {
    await printed(/device fault: ts-steel\/furnace-1 offline/, 'the device fault', 40_000);
    await waitFor(
      async () => (await node('ts-steel-gw'))?.devices.find((d) => d.id === 'furnace-1')?.online === false,
      { what: 'DDEATH of furnace-1', timeoutMs: 10_000, intervalMs: 200 },
    );
    // The KPI's view: offline in the latest complete bucket, and why.
    await waitFor(
      async () => {
        const e = await get<EnterpriseDetail>('/api/enterprises/ts-steel');
        const d = e.lines.flatMap((l) => l.devices).find((x) => x.id === 'furnace-1');
        return d?.online === false && d.reason === 'device_unreachable';
      },
      { what: 'furnace-1 offline (device_unreachable) in the rates', timeoutMs: 25_000, intervalMs: 500 },
    );
    await printed(/device recovered: ts-steel\/furnace-1/, 'the device recovery', 30_000);
    await waitFor(
      async () => (await node('ts-steel-gw'))?.devices.find((d) => d.id === 'furnace-1')?.online === true,
      { what: 'DBIRTH of furnace-1 again', timeoutMs: 15_000, intervalMs: 200 },
    );
  });

  it('an uplink cut is buffered and replayed: the outage buckets fill in, the rate recovers', async () => {
    await printed(/uplink restored: bd-equipment/, 'the uplink restore', 60_000);
    // The outage as the cloud saw it (arrival times), not as this test happened to poll it: the
    // Will's NDEATH when the proxy cut the link, the NBIRTH once the gateway got through again.
    let outage = { from: 0, to: 0 };
    await waitFor(
      async () => {
        const n = await node('bd-equipment-gw');
        if (!n?.online || n.lastDeath === undefined || (n.lastBirth ?? 0) <= n.lastDeath) return false;
        outage = { from: n.lastDeath, to: n.lastBirth ?? 0 };
        return true;
      },
      { what: 'NDEATH then a new NBIRTH of bd-equipment-gw', timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(outage.to - outage.from).toBeGreaterThan(20_000);
    // Whole buckets inside the outage. Samples with source times in there can only be
    // historical: the node was dead at the broker all that time.
    const w = 10_000;
    const from = Math.ceil(outage.from / w) * w;
    const to = Math.floor(outage.to / w) * w;
    expect(to - from).toBeGreaterThanOrEqual(w);
    // The devices a gateway has ever reported (the node's own list fills only as DBIRTHs arrive).
    const detail = await get<EnterpriseDetail>('/api/enterprises/bd-equipment');
    const connected = detail.lines.flatMap((l) => l.devices).flatMap((d) => (d.node ? [d.id] : []));
    expect(connected).toHaveLength(6);
    await waitFor(
      async () => {
        const e = await get<EnterpriseDetail>(`/api/enterprises/bd-equipment?from=${from}&to=${to}`);
        const devices = e.lines.flatMap((l) => l.devices).filter((d) => connected.includes(d.id));
        return devices.length === connected.length && devices.every((d) => d.onlineBuckets === d.buckets);
      },
      { what: 'the outage buckets filled by the replayed backlog', timeoutMs: 20_000, intervalMs: 500 },
    );
    await waitFor(
      async () => {
        const r = await get<RatesReport>('/api/rates?enterprise=bd-equipment');
        return (r.enterprises[0]?.live.networkedRate ?? 0) > 0;
      },
      { what: 'the live rate of bd-equipment back above 0', timeoutMs: 25_000, intervalMs: 500 },
    );
    await printed(
      /bd-equipment: backlog replayed in .* points as historical DDATA/,
      'the replay summary',
      20_000,
    );
  });

  it('stops cleanly on SIGINT with exit code 0', async () => {
    const started = Date.now();
    demo.child.kill('SIGINT');
    const exit = await demo.exited;
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(demo.tail()).toMatch(/stopped in \d+\.\d s/);
    expect(demo.tail()).not.toMatch(/still running after stop/);
  });
});

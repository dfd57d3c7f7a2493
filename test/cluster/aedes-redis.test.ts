/**
 * Embedded brokers as a cluster (issue 8 part 3): two aedes nodes share a real redis-server
 * (mqemitter-redis + aedes-persistence-redis). Node A is `lianwang broker --redis …` in a child
 * process, so it can be SIGKILLed; node B runs in-process. The real gateway polls the simulated
 * Modbus plant and publishes Sparkplug B with `mqtt.brokers: [A, B]`, so it connects to A; the real
 * cloud (ingest + DuckDB store) is connected to B only. Data published on A reaches ingest on B.
 * A is killed; the gateway fails over to B, replays what it queued meanwhile, and carries on. The
 * Will (NDEATH) A held for the gateway is published by B once A's heartbeat stops, and the host
 * ignores it: its bdSeq belongs to the old session. Report-by-exception is off, so the store must
 * end up with exactly the samples the gateway read: per point, the same source timestamps, none
 * missing, none extra, each stored once.
 *
 * A is killed at a moment when it holds no acknowledged-but-unforwarded message: aedes 1.2 sends
 * PUBACK before it queues and forwards a QoS 1 PUBLISH (lib/handlers/publish.js), so a node killed
 * inside that window (about one Redis round trip per message) loses what the gateway was told was
 * delivered. docs/scaling.md names the limit; this test proves everything else.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildCloud } from '../../cloud/app.ts';
import { startEmbeddedBroker } from '../../cloud/broker/embedded.ts';
import { formatError, loadGatewayFile, loadPlantFile } from '../../config/index.ts';
import { buildGateway } from '../../gateway/app.ts';
import type { Reading } from '../../gateway/drivers/types.ts';
import { gatewayConfigs } from '../../simulators/runtime/emit.ts';
import { startSimulation } from '../../simulators/runtime/simulation.ts';
import { freePort } from '../helpers/ports.ts';
import { startProcess, untilReady } from '../helpers/process.ts';
import { redisBinary, startRedis } from '../helpers/redis.ts';
import { SparkplugObserver } from '../helpers/sparkplug-subscriber.ts';
import { tool } from '../helpers/tools.ts';
import { waitFor } from '../helpers/wait.ts';

const PLANT = 'test/fixtures/plants/sim-modbus.yaml';
const GATEWAY_TYPES = new Set(['NBIRTH', 'DBIRTH', 'NDATA', 'DDATA', 'DDEATH']);

describe('aedes cluster over redis', () => {
  it('keeps every sample when the gateway’s node is killed and it fails over to the other', async (ctx) => {
    tool(ctx, redisBinary.name, redisBinary.installHint);
    const cleanup: (() => Promise<unknown>)[] = [];
    ctx.onTestFinished(async () => {
      for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
    });
    const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-cluster-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const redis = await startRedis();
    cleanup.push(() => redis.stop());

    // Heartbeat 1 s: the dead node's Wills go out 3–8 s after the kill instead of 30–70 s.
    const portA = await freePort();
    const nodeA = startProcess('broker node A', process.execPath, [
      ...['bin/lianwang.js', 'broker', '--port', String(portA), '--redis', redis.url, '--heartbeat', '1s'],
    ]);
    cleanup.push(() => nodeA.stop());
    await untilReady(nodeA, () => nodeA.tail().includes('"msg":"broker ready"'), { what: 'node A ready' });
    const urlA = `mqtt://[::1]:${portA}`;
    const nodeB = await startEmbeddedBroker({
      host: '::1',
      cluster: { redis: redis.url, heartbeatIntervalMs: 1_000 },
    });
    cleanup.push(() => nodeB.close());
    expect(nodeA.tail()).toContain(`"redis":"${redis.url}"`);
    expect(nodeB.cluster?.redis).toBe(redis.url);

    const plant = await loadPlantFile(PLANT);
    if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
    const sim = await startSimulation({ plant: plant.value, ephemeralPorts: true, tickMs: 250 });
    cleanup.push(() => sim.stop());

    // Ingest on B only: a persistent session (clean: false), QoS 1, acknowledged once stored.
    const cloud = await buildCloud({
      mqtt: { broker: nodeB.url, protocolVersion: 4, clientId: 'lianwang-ingest-cluster' },
      plants: [PLANT],
      dataDir: path.join(dir, 'cloud'),
      log: pino({ level: 'silent' }),
    });
    cleanup.push(() => cloud.stop());
    await cloud.ingest.ready();
    // An observer on B sees what crossed from A: the condition for a clean kill below.
    const observer = new SparkplugObserver('t1');
    await observer.connect(nodeB.url, 4);
    cleanup.push(() => observer.close());

    const input = gatewayConfigs(sim, { brokers: [urlA, nodeB.url] }).get('t1');
    if (!input) throw new Error('no gateway config for t1');
    input.mqtt = {
      brokers: [urlA, nodeB.url],
      protocolVersion: 4,
      reconnectMin: '100ms',
      reconnectMax: '400ms',
    };
    input.polling = { interval: '300ms', timeout: '250ms' };
    input.buffer = { dir: path.join(dir, 'gw') };
    input.http = false;
    const file = path.join(dir, 'gw.yaml');
    await writeFile(file, stringify(input));
    const loaded = await loadGatewayFile(file);
    if (!loaded.ok) throw new Error(loaded.errors.map(formatError).join('\n'));
    // Source timestamps of every sample the gateway read, per `<device>|<point>`.
    const good = new Map<string, number[]>();
    const any = new Map<string, Set<number>>();
    const onRead = (device: string, readings: readonly Reading[]) => {
      for (const r of readings) {
        const key = `${device.replace(/^t1\//, '')}|${r.point}`;
        if (!any.has(key)) any.set(key, new Set());
        any.get(key)?.add(r.time);
        if (!r.good) continue;
        if (!good.has(key)) good.set(key, []);
        good.get(key)?.push(r.time);
      }
    };
    const gw = buildGateway(loaded.value, { log: pino({ level: 'silent' }), maxSilenceMs: 0, onRead });
    await gw.start();
    cleanup.push(() => gw.stop());

    await waitFor(() => gw.north().broker === urlA && gw.north().connected, {
      what: 'the gateway on node A (first of its list)',
    });
    await waitFor(() => cloud.stats().samplesStored >= 200 && observer.count('DDATA') >= 10, {
      what: 'data from node A stored by ingest on node B',
      timeoutMs: 15_000,
    });

    // Kill A when everything the gateway published has crossed to B (see the header).
    const sent = () => Object.values(gw.north().published).reduce((a, b) => a + b, 0);
    const crossed = () => observer.messages.filter((m) => GATEWAY_TYPES.has(m.type)).length;
    await waitFor(() => gw.north().inFlight === 0 && crossed() === sent(), {
      what: 'no publish between the gateway and node B',
      intervalMs: 1,
    });
    nodeA.child.kill('SIGKILL');
    const killed = Date.now();
    expect((await nodeA.exited).signal).toBe('SIGKILL');
    const bdSeqOnA = cloud.ingest.nodes().find((n) => n.group === 't1')?.bdSeq;

    await waitFor(() => gw.north().connected && gw.north().broker === nodeB.url, {
      what: 'the gateway failed over to node B',
    });
    expect(gw.north().connectFailures).toBeGreaterThan(0); // A refused on the way
    // B publishes the Will A held (NDEATH with the old bdSeq) once A's heartbeat is 3 s overdue;
    // the host sees it is stale and keeps the node online.
    await waitFor(() => (cloud.stats().rejected.stale_ndeath ?? 0) >= 1, {
      what: 'the dead node’s Will published by node B and rejected as stale',
      timeoutMs: 15_000,
    });
    const ndeath = observer.messages.find((m) => m.type === 'NDEATH');
    expect(Number(ndeath?.metrics.find((m) => m.name === 'bdSeq')?.value)).toBe(bdSeqOnA);
    const session = cloud.ingest.nodes().find((n) => n.group === 't1');
    expect(session?.online).toBe(true);
    expect(session?.bdSeq).not.toBe(bdSeqOnA);

    // Live data after the failover reaches the store.
    const storedAfter = async () =>
      (await cloud.store.countSamples({ enterprise: 't1', from: killed + 1_000, to: Date.now() + 60_000 })) >
      20;
    await waitFor(storedAfter, { what: 'live data through node B stored', timeoutMs: 15_000 });
    await gw.stop();
    expect(gw.queue().entries).toBe(0);
    expect(gw.queue().droppedEntries).toBe(0);

    // Exactly what was read, by source timestamp per point, each sample once.
    const from = Math.min(...[...any.values()].flatMap((s) => [...s])) - 1;
    const to = Date.now() + 60_000;
    const expected = [...good.values()].reduce((n, t) => n + t.length, 0);
    const storedGood = async () => {
      const byKey = new Map<string, number[]>();
      let all = 0;
      const outside: string[] = [];
      for (const device of new Set([...any.keys()].map((k) => k.split('|')[0] ?? ''))) {
        for (const s of await cloud.store.series({ enterprise: 't1', device, from, to, limit: 1_000_000 })) {
          const key = `${device}|${s.metric}`;
          for (const p of s.points) {
            all++;
            if (!any.get(key)?.has(p.time)) outside.push(`${key}@${p.time}`);
            if (!p.good) continue;
            if (!byKey.has(key)) byKey.set(key, []);
            byKey.get(key)?.push(p.time);
          }
        }
      }
      return { byKey, all, outside };
    };
    await waitFor(
      async () => [...(await storedGood()).byKey.values()].reduce((n, t) => n + t.length, 0) >= expected,
      { what: `${expected} good samples in the store`, timeoutMs: 20_000, intervalMs: 200 },
    );
    const stored = await storedGood();
    expect(stored.outside, 'stored samples the gateway never read').toEqual([]);
    for (const [key, times] of good)
      expect(
        stored.byKey.get(key)?.sort((a, b) => a - b),
        key,
      ).toEqual([...times].sort((a, b) => a - b));
    expect([...stored.byKey.keys()].sort()).toEqual([...good.keys()].sort());
    // Rows, not identities: the idempotent store holds each sample once.
    let rows = 0;
    for (const device of new Set([...any.keys()].map((k) => k.split('|')[0] ?? '')))
      rows += await cloud.store.countSamples({ enterprise: 't1', device, from, to });
    expect(rows).toBe(stored.all);
    expect(cloud.stats().seqGaps).toBe(0);
  }, 120_000);
});

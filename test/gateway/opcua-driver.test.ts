/**
 * The OPC UA driver against the simulator's OPC UA server: values equal the devices' (with the gateway's
 * scaling), over an IPv6 literal and over IPv4; device states follow faults, a server restart, a server
 * that is down at start and a link that silently drops everything; a secured session with a user.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectDevice } from '../../config/index.ts';
import type { OpcuaDriverOptions } from '../../gateway/drivers/opcua/driver.ts';
import type { Driver } from '../../gateway/drivers/types.ts';
import { configureNodeOpcuaLogging, type OpcuaSim, startOpcuaServer } from '../../simulators/opcua/index.ts';
import { tickDevice } from '../helpers/opcua-devices.ts';
import { freePort } from '../helpers/ports.ts';
import { blackholeProxy } from '../helpers/proxy.ts';
import { trackTimers } from '../helpers/timers.ts';
import { waitFor } from '../helpers/wait.ts';
import { collect, driverFor as driverIn, expected, Recorder } from './_setup/opcua.ts';

configureNodeOpcuaLogging({ level: 'silent' });

const press = tickDevice({ enterprise: 'e1', line: 'forge', id: 'press-1', kind: 'hydraulic-press' });
const tablets = tickDevice({ enterprise: 'e1', line: 'pharma', id: 'tp-1', kind: 'tablet-press' });
const sims = [press, tablets];

let dir: string;
let sim: OpcuaSim;
let ticker: NodeJS.Timeout | undefined;

const tick = () => sims.forEach((d) => d.step(1));
const startTicking = () => {
  ticker ??= setInterval(tick, 100);
};
const stopTicking = () => {
  clearInterval(ticker);
  ticker = undefined;
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-gw-opcua-'));
  // Dual stack (::): the press is reached over IPv6 ([::1]), the tablet press over IPv4.
  sim = await startOpcuaServer({ devices: sims, port: 0, pkiDir: path.join(dir, 'server-pki') });
  startTicking();
});

afterAll(async () => {
  stopTicking();
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Stops the models, advances them once, waits until every point reported that tick; returns the tick time. */
async function settle(rec: Recorder, devices: CollectDevice[]): Promise<number> {
  stopTicking();
  const before = Date.now();
  tick();
  await waitFor(
    () =>
      devices.every((d) =>
        d.points.every((p) => (rec.latest(key(d), p.point.name)?.time ?? 0) >= before - 1),
      ),
    { what: 'a reading of every point from the last tick' },
  );
  return before;
}

const driverFor = (devices: CollectDevice[], rec: Recorder, options: OpcuaDriverOptions = {}): Driver =>
  driverIn(path.join(dir, 'gateway'), devices, rec, options);

const key = (d: CollectDevice) => `${d.device.enterprise}/${d.device.id}`;

describe('OPC UA driver', () => {
  it('stop() closes its sessions and leaves no sockets or timers behind', async () => {
    stopTicking();
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = sockets();
    const timers = trackTimers();
    const rec = new Recorder();
    const devices = [
      collect(press, `opc.tcp://[::1]:${sim.port}`),
      collect(tablets, `opc.tcp://127.0.0.1:${sim.port}`),
    ];
    const driver = driverFor(devices, rec);
    try {
      await driver.start();
      tick();
      await rec.waitState('e1/press-1', 'online');
      await rec.waitState('e1/tp-1', 'online');
      expect(sockets()).toBeGreaterThan(before);
      await driver.stop();
      const statuses = rec.statuses.get('e1/press-1')?.length;
      // Client and server sides of both sessions close; node-opcua's own 100 ms CloseSecureChannel
      // timers expire. Whatever timer is left was made while the driver ran and would keep it alive.
      await waitFor(() => sockets() === before && timers.alive().length === 0, {
        what: `no sockets or timers left (sockets ${sockets()}, timers ${timers.alive().join('\n')})`,
        timeoutMs: 2_000,
      });
      tick();
      expect(rec.statuses.get('e1/press-1')?.length).toBe(statuses);
    } finally {
      timers.stop();
      startTicking();
      await driver.stop();
    }
  });

  it('collects two devices over opc.tcp://[::1] and opc.tcp://127.0.0.1 with the simulator’s values', async () => {
    const rec = new Recorder();
    const devices = [
      collect(press, `opc.tcp://[::1]:${sim.port}`, { scale: { oil_pressure: [10, 1] } }),
      collect(tablets, `opc.tcp://127.0.0.1:${sim.port}`, { scale: { tablets: [2, 5] } }),
    ];
    const driver = driverFor(devices, rec);
    await driver.start();
    try {
      expect(rec.state('e1/press-1')?.state).toBe('connecting');
      await rec.waitState('e1/press-1', 'online');
      await rec.waitState('e1/tp-1', 'online');
      const tickTime = await settle(rec, devices);
      for (const d of devices) {
        const s = d.device.id === 'press-1' ? press : tablets;
        for (const cp of d.points) {
          const r = rec.latest(key(d), cp.point.name);
          expect(r?.good, `${key(d)}/${cp.point.name}`).toBe(true);
          expect(r?.value, `${key(d)}/${cp.point.name}`).toEqual(expected(s, cp));
          // The server's source timestamp of that tick, not the arrival time.
          expect(r?.time).toBeGreaterThanOrEqual(tickTime - 1);
          expect(r?.time).toBeLessThanOrEqual(Date.now());
        }
      }
      expect(typeof rec.latest('e1/tp-1', 'tablets')?.value).toBe('bigint');
      expect(driver.counters().get('e1/press-1')?.polls).toBeGreaterThan(0);
      // Two endpoint URLs → two sessions on the server.
      expect(rec.logs.filter((l) => l.startsWith('info OPC UA connecting'))).toHaveLength(2);
    } finally {
      startTicking();
      await driver.stop();
    }
  });

  it('a device fault makes that device offline with the status as reason, the other stays online; a refused point degrades', async () => {
    const rec = new Recorder();
    const withMissingPoint = collect(tablets, `opc.tcp://[::1]:${sim.port}`);
    const base = withMissingPoint.points[0];
    if (!base) throw new Error('no points');
    const ghost = { ...base.point, name: 'ghost', opcua: { nodeId: 'ns=1;s=no/such/node' } };
    withMissingPoint.points.push({ ...base, point: ghost });
    const devices = [collect(press, `opc.tcp://[::1]:${sim.port}`), withMissingPoint];
    const driver = driverFor(devices, rec);
    await driver.start();
    try {
      await rec.waitState('e1/press-1', 'online');
      await rec.waitState('e1/tp-1', 'degraded');
      expect(rec.state('e1/tp-1')?.reason).toMatch(/^1 of \d+ points bad: BadNodeIdUnknown \(ghost\)$/);

      press.inject({ type: 'bad-status' });
      await rec.waitState('e1/press-1', 'offline');
      expect(rec.state('e1/press-1')?.reason).toBe('BadDeviceFailure');
      const bad = rec.latest('e1/press-1', 'oil_pressure');
      expect(bad).toMatchObject({ good: false, value: null });
      expect(rec.state('e1/tp-1')?.state).toBe('degraded');
      expect(driver.counters().get('e1/press-1')?.errors.BadDeviceFailure).toBeGreaterThan(0);

      press.clear('bad-status');
      await rec.waitState('e1/press-1', 'online');
    } finally {
      press.clear('bad-status');
      await driver.stop();
    }
  });

  it('recovers after a server restart: offline with a reason, then online with new values', async () => {
    const rec = new Recorder();
    const devices = [
      collect(press, `opc.tcp://[::1]:${sim.port}`),
      collect(tablets, `opc.tcp://127.0.0.1:${sim.port}`),
    ];
    const driver = driverFor(devices, rec);
    await driver.start();
    try {
      await rec.waitState('e1/press-1', 'online');
      await rec.waitState('e1/tp-1', 'online');
      const restarting = sim.restart(1_500);
      await rec.waitState('e1/press-1', 'offline');
      await rec.waitState('e1/tp-1', 'offline');
      expect(rec.state('e1/press-1')?.reason).toMatch(/connection lost|reconnecting/);
      await restarting;
      const back = Date.now();
      await rec.waitState('e1/press-1', 'online', 20_000);
      await rec.waitState('e1/tp-1', 'online', 20_000);
      await waitFor(() => (rec.latest('e1/press-1', 'oil_pressure')?.time ?? 0) > back, {
        what: 'new readings after the restart',
      });
      const states = rec.statuses.get('e1/press-1')?.map((s) => s.state);
      expect(states).toEqual(expect.arrayContaining(['connecting', 'online', 'offline']));
      // node-opcua repaired the session itself; no rebuild was needed.
      expect(rec.logs.some((l) => l.includes('session restored by node-opcua'))).toBe(true);
    } finally {
      await driver.stop();
    }
  });

  it('subscribes per interval (also a slow one) and leaves deadbanded points quiet while others flow', async () => {
    const rec = new Recorder();
    const device = collect(press, `opc.tcp://[::1]:${sim.port}`, {
      options: {
        oil_pressure: { deadband: 1e9 },
        running: { deadband: 1e9 },
        ram_position: { intervalMs: 60_000 },
      },
    });
    const driver = driverFor([device], rec);
    await driver.start();
    try {
      await rec.waitState('e1/press-1', 'online');
      const count = (point: string) =>
        rec.readings.get('e1/press-1')?.filter((r) => r.point === point).length ?? 0;
      // Every point reports its current value once subscribed, the 60 s one included (the first
      // notifications may trail the online state by a publish cycle on a loaded machine).
      await waitFor(() => device.points.every((p) => count(p.point.name) > 0), {
        what: 'a first value of every point',
      });
      const pressure = count('oil_pressure');
      const slow = count('ram_position');
      const fast = count('motor_current');
      await waitFor(() => count('motor_current') >= fast + 5, { what: 'five more samples of motor_current' });
      expect(count('oil_pressure')).toBe(pressure);
      expect(count('ram_position')).toBe(slow);
      // A boolean point gets no deadband filter (servers refuse one): it keeps its samples.
      expect(count('running')).toBeGreaterThan(1);
    } finally {
      await driver.stop();
    }
  });

  it('keeps retrying a server that is down at start, and comes online when it starts', async () => {
    const port = await freePort();
    const late = tickDevice({ enterprise: 'e2', line: 'l', id: 'comp-1', kind: 'air-compressor' });
    const rec = new Recorder();
    const driver = driverFor([collect(late, `opc.tcp://[::1]:${port}`)], rec);
    await driver.start();
    let server: OpcuaSim | undefined;
    try {
      await rec.waitState('e2/comp-1', 'offline');
      expect(rec.state('e2/comp-1')?.reason).toBe('connect failed: ECONNREFUSED');
      server = await startOpcuaServer({ devices: [late], port, pkiDir: path.join(dir, 'server-pki') });
      late.step(1);
      await rec.waitState('e2/comp-1', 'online', 20_000);
      expect(rec.latest('e2/comp-1', 'running')?.good).toBe(true);
    } finally {
      await driver.stop();
      await server?.stop();
    }
  });

  it('rebuilds the session when the link silently drops everything, and values flow again', async () => {
    const proxy = await blackholeProxy(sim.port);
    const rec = new Recorder();
    const driver = driverFor([collect(press, `opc.tcp://[::1]:${proxy.port}`)], rec, { keepAliveMs: 500 });
    await driver.start();
    try {
      await rec.waitState('e1/press-1', 'online');
      proxy.blackhole(true);
      await rec.waitState('e1/press-1', 'offline');
      expect(rec.state('e1/press-1')?.reason).toMatch(/no publish response|connection/);
      proxy.blackhole(false);
      const healed = Date.now();
      await rec.waitState('e1/press-1', 'online', 20_000);
      await waitFor(() => (rec.latest('e1/press-1', 'oil_pressure')?.time ?? 0) > healed, {
        what: 'new readings after the link healed',
      });
      expect(rec.logs.some((l) => l.includes('rebuilding the session'))).toBe(true);
    } finally {
      await driver.stop();
      await proxy.close();
    }
  });

  it('stop() returns promptly while connecting to a dead or silent server and leaves nothing behind', async () => {
    const timers = trackTimers();
    const proxy = await blackholeProxy(sim.port);
    proxy.blackhole(true);
    const closedPort = await freePort();
    const rec = new Recorder();
    const driver = driverFor(
      [
        collect(press, `opc.tcp://[::1]:${proxy.port}`),
        collect(tablets, `opc.tcp://127.0.0.1:${closedPort}`),
      ],
      rec,
    );
    try {
      await driver.start();
      await rec.waitState('e1/tp-1', 'offline');
      expect(rec.state('e1/press-1')?.state).toBe('connecting'); // its HEL is never answered
      const t0 = Date.now();
      await driver.stop();
      expect(Date.now() - t0).toBeLessThan(1_500);
      await waitFor(() => timers.alive().length === 0, {
        what: `no timers left (${timers.alive().join('\n')})`,
        timeoutMs: 2_000,
      });
    } finally {
      timers.stop();
      await driver.stop();
      await proxy.close();
    }
  });

  it('connects with Basic256Sha256 SignAndEncrypt and a user to a server bound to ::1; refuses a bad password and an unknown certificate', async () => {
    const secure = tickDevice({ enterprise: 'e3', line: 'l', id: 'reactor-1', kind: 'pharma-reactor' });
    const server = await startOpcuaServer({
      devices: [secure],
      port: 0,
      host: '::1',
      hostname: '::1',
      pkiDir: path.join(dir, 'secure-pki'),
      securityModes: ['SignAndEncrypt'],
      securityPolicies: ['Basic256Sha256'],
      users: [{ username: 'operator', password: 's3cret' }],
    });
    const endpoint = `opc.tcp://[::1]:${server.port}`;
    const security = (password: string) => ({
      security: {
        securityMode: 'SignAndEncrypt' as const,
        securityPolicy: 'Basic256Sha256' as const,
        username: 'operator',
        password,
      },
    });
    const rec = new Recorder();
    const good = driverFor([collect(secure, endpoint, security('s3cret'))], rec);
    try {
      await good.start();
      secure.step(1);
      await rec.waitState('e3/reactor-1', 'online', 20_000);
      expect(rec.latest('e3/reactor-1', 'batch_temp')?.good).toBe(true);
      // Trusted on first use: the certificate is now recorded for this endpoint.
      const known = JSON.parse(
        await readFile(path.join(dir, 'gateway', 'opcua-pki', 'known-servers.json'), 'utf8'),
      ) as Record<string, unknown>;
      expect(Object.keys(known)).toContain(endpoint);
      await good.stop();

      const wrong = new Recorder();
      const bad = driverFor([collect(secure, endpoint, security('nope'))], wrong);
      await bad.start();
      await wrong.waitState('e3/reactor-1', 'offline', 20_000);
      expect(wrong.state('e3/reactor-1')?.reason).toMatch(/BadUserAccessDenied|BadIdentityTokenRejected/);
      await bad.stop();

      const pinned = new Recorder();
      const strict = driverFor([collect(secure, endpoint, security('s3cret'))], pinned, {
        trust: { [endpoint]: { fingerprints: ['00'.repeat(20)] } },
      });
      await strict.start();
      await pinned.waitState('e3/reactor-1', 'offline', 20_000);
      expect(pinned.state('e3/reactor-1')?.reason).toMatch(/not trusted/);
      await strict.stop();
    } finally {
      await good.stop();
      await server.stop();
    }
  });
});

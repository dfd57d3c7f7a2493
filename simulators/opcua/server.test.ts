import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AttributeIds,
  ClientMonitoredItem,
  ClientSubscription,
  DataType,
  type DataValue,
  type EUInformation,
  type Range,
  StatusCodes,
  TimestampsToReturn,
  Variant,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opcuaNodeId } from '../../config/index.ts';
import {
  child,
  children,
  collectChanges,
  connectOpcua,
  type OpcuaTestClient,
  readProperty,
} from '../../test/helpers/opcua-client.ts';
import { tickDevice } from '../../test/helpers/opcua-devices.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import type { SimDevice } from '../device.ts';
import { configureNodeOpcuaLogging } from './logging.ts';
import { resetNodeId, stateNodeId } from './address-space.ts';
import { type OpcuaSim, SIMULATOR_NAMESPACE_URI, startOpcuaServer } from './server.ts';

configureNodeOpcuaLogging({ level: 'error' });

const E = 'hebei-steel';
const press = tickDevice({
  enterprise: E,
  line: 'forge-1',
  id: 'press-1',
  kind: 'hydraulic-press',
  name: '液压机1号',
});
const meter = tickDevice({ enterprise: E, line: 'forge-1', id: 'meter-1', kind: 'power-meter' });
const cnc = tickDevice({ enterprise: E, line: 'machining', id: 'cnc-1', kind: 'cnc-machining-centre' });
const faulty = tickDevice({ enterprise: 'other-co', line: 'l1', id: 'comp-1', kind: 'air-compressor' });
const devices = [press, meter, cnc, faulty];

const nodeId = (sim: SimDevice, point: string): string => {
  const p = sim.device.points.find((x) => x.name === point);
  if (!p) throw new Error(`no point ${point}`);
  return opcuaNodeId(sim.device, p);
};
const deviceNodeId = (sim: SimDevice) =>
  `ns=1;s=${sim.device.enterprise}/${sim.device.line}/${sim.device.id}`;

let dir: string;
let sim: OpcuaSim;
let ua: OpcuaTestClient;
let ticker: NodeJS.Timeout;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-opcua-'));
  sim = await startOpcuaServer({
    devices,
    port: 0,
    pkiDir: path.join(dir, 'server-pki'),
    hostname: 'localhost',
  });
  // The models advance ten times a second; the server pushes every tick.
  ticker = setInterval(() => devices.forEach((d) => d.step(1)), 100);
  ua = await connectOpcua(`opc.tcp://127.0.0.1:${sim.port}`, { pkiDir: path.join(dir, 'client-pki') });
});

afterAll(async () => {
  clearInterval(ticker);
  await ua?.close();
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('OPC UA simulator address space', () => {
  it('listens on an ephemeral port and advertises it', async () => {
    expect(sim.port).toBeGreaterThan(0);
    expect(sim.endpointUrl).toBe(`opc.tcp://localhost:${sim.port}`);
    const namespaces = await ua.session.readNamespaceArray();
    expect(namespaces[1]).toBe(SIMULATOR_NAMESPACE_URI);
  });

  it('browses Objects/<enterprise>/<line>/<device> to every point, State and Reset', async () => {
    const enterprise = await child(ua.session, 'ns=0;i=85', E);
    expect(enterprise.nodeId.toString()).toBe(`ns=1;s=${E}`);
    const line = await child(ua.session, enterprise.nodeId.toString(), 'forge-1');
    expect((await children(ua.session, line.nodeId.toString())).map((r) => r.browseName.name).sort()).toEqual(
      ['meter-1', 'press-1'],
    );
    const device = await child(ua.session, line.nodeId.toString(), 'press-1');
    expect(device.nodeId.toString()).toBe(deviceNodeId(press));
    expect(device.displayName.text).toBe('液压机1号');

    const refs = await children(ua.session, device.nodeId.toString());
    const byName = new Map(refs.map((r) => [r.browseName.name, r.nodeId.toString()]));
    for (const p of press.device.points) expect(byName.get(p.name)).toBe(opcuaNodeId(press.device, p));
    expect(byName.get('State')).toBe(stateNodeId(press.device));
    expect(byName.get('Reset')).toBe(resetNodeId(press.device));
  });

  it('reads a float variable with its DataType, EngineeringUnits and EURange', async () => {
    const id = nodeId(press, 'oil_pressure');
    const [value, dataType] = await ua.session.read([
      { nodeId: id, attributeId: AttributeIds.Value },
      { nodeId: id, attributeId: AttributeIds.DataType },
    ]);
    expect(value?.statusCode).toBe(StatusCodes.Good);
    expect(value?.value.dataType).toBe(DataType.Float);
    expect(String(dataType?.value.value)).toBe('ns=0;i=10'); // Float
    const eu = (await readProperty(ua.session, id, 'EngineeringUnits')).value.value as EUInformation;
    expect(eu.displayName.text).toBe('MPa');
    expect(eu.unitId).toBe(0x4d5041); // UNECE "MPA"
    const range = (await readProperty(ua.session, id, 'EURange')).value.value as Range;
    expect([range.low, range.high]).toEqual([0, 35]);
  });

  it('maps point types to DataTypes; Modbus-scaled points become Double', async () => {
    const expected: [SimDevice, string, DataType][] = [
      [press, 'running', DataType.Boolean],
      [press, 'state', DataType.UInt16],
      [press, 'strokes', DataType.UInt32],
      [press, 'oil_temp', DataType.Double], // int16 × 0.1
      [press, 'run_hours', DataType.Double], // uint32 × 0.01
      [meter, 'energy_import', DataType.Double], // uint64 × 0.01
      [meter, 'power_factor', DataType.Double], // int16 × 0.001
      [cnc, 'spindle_load', DataType.UInt16],
      [cnc, 'program', DataType.String],
    ];
    const values = await ua.session.read(
      expected.map(([d, p]) => ({ nodeId: nodeId(d, p), attributeId: AttributeIds.Value })),
    );
    expect(values.map((v) => [v.statusCode.name, v.value.dataType])).toEqual(
      expected.map(([, , t]) => ['Good', t]),
    );
    // A unit without a range: AnalogUnitType with EngineeringUnits, no EURange.
    const hours = (await readProperty(ua.session, nodeId(press, 'run_hours'), 'EngineeringUnits')).value
      .value as EUInformation;
    expect(hours.displayName.text).toBe('h');
    const props = (await children(ua.session, nodeId(press, 'run_hours'))).map((r) => r.browseName.name);
    expect(props).not.toContain('EURange');
    // A range without a unit: EURange only.
    const pf = (await readProperty(ua.session, nodeId(meter, 'power_factor'), 'EURange')).value
      .value as Range;
    expect([pf.low, pf.high]).toEqual([-1, 1]);
  });

  it('delivers at least 5 changes to a monitored item, with current source timestamps', async () => {
    const changes = await collectChanges(ua.session, nodeId(meter, 'voltage_a'), 5);
    expect(new Set(changes.map((c) => c.value.value as number)).size).toBeGreaterThanOrEqual(4);
    for (const c of changes) {
      expect(c.statusCode).toBe(StatusCodes.Good);
      expect(Math.abs(Date.now() - (c.sourceTimestamp?.getTime() ?? 0))).toBeLessThan(10_000);
    }
  });

  it('calls Reset: the device leaves its fault and State follows', async () => {
    const readState = async () =>
      (await ua.session.read({ nodeId: stateNodeId(cnc.device), attributeId: AttributeIds.Value })).value
        .value as string;
    expect(cnc.machine).toBe('fault');
    expect(await readState()).toBe('fault');
    const result = await ua.session.call({
      objectId: deviceNodeId(cnc),
      methodId: resetNodeId(cnc.device),
      inputArguments: [],
    });
    expect(result.statusCode).toBe(StatusCodes.Good);
    expect(cnc.machine).toBe('idle');
    await waitFor(async () => (await readState()) === 'idle', { what: 'State = idle' });
  });

  it('writes a setpoint through to the device; refuses out-of-range and read-only writes', async () => {
    const write = (point: string, dataType: DataType, value: number) =>
      ua.session.write({
        nodeId: nodeId(press, point),
        attributeId: AttributeIds.Value,
        value: { value: new Variant({ dataType, value }) },
      });
    expect(await write('pressure_sp', DataType.Float, 20.5)).toBe(StatusCodes.Good);
    expect(press.values()['pressure_sp']).toBe(20.5);
    await waitFor(
      async () => (await ua.session.read({ nodeId: nodeId(press, 'pressure_sp') })).value.value === 20.5,
      { what: 'pressure_sp reads 20.5' },
    );
    expect((await write('pressure_sp', DataType.Float, 40)).name).toBe('BadOutOfRange');
    expect(press.values()['pressure_sp']).toBe(20.5);
    expect((await write('oil_pressure', DataType.Float, 1)).name).toMatch(
      /^Bad(NotWritable|UserAccessDenied)$/,
    );
  });

  it('answers BadDeviceFailure under bad-status and BadNotConnected offline; other devices stay Good', async () => {
    const read = async (d: SimDevice) =>
      (await ua.session.read({ nodeId: nodeId(d, 'motor_current'), attributeId: AttributeIds.Value }))
        .statusCode.name;
    const subscription = await ua.session.createSubscription2({
      requestedPublishingInterval: 50,
      publishingEnabled: true,
    });
    const seen: string[] = [];
    try {
      const item = await subscription.monitor(
        { nodeId: nodeId(faulty, 'motor_current'), attributeId: AttributeIds.Value },
        { samplingInterval: 0, queueSize: 10 },
        TimestampsToReturn.Both,
      );
      item.on('changed', (dv: DataValue) => seen.push(dv.statusCode.name));
      await waitFor(() => seen.includes('Good'), { what: 'a Good notification' });

      faulty.inject({ type: 'bad-status' });
      expect(await read(faulty)).toBe('BadDeviceFailure');
      expect(await read(press)).toBe('Good');
      await waitFor(() => seen.includes('BadDeviceFailure'), { what: 'a BadDeviceFailure notification' });
      const reset = await ua.session.call({
        objectId: deviceNodeId(faulty),
        methodId: resetNodeId(faulty.device),
        inputArguments: [],
      });
      expect(reset.statusCode.name).toBe('BadDeviceFailure');
      faulty.clear('bad-status');

      faulty.inject({ type: 'offline' });
      expect(await read(faulty)).toBe('BadNotConnected');
      const state = await ua.session.read({
        nodeId: stateNodeId(faulty.device),
        attributeId: AttributeIds.Value,
      });
      expect(state.statusCode.name).toBe('BadNotConnected');
      faulty.clear('offline');

      expect(await read(faulty)).toBe('Good');
      seen.length = 0;
      await waitFor(() => seen.includes('Good'), { what: 'Good again after clearing' });
    } finally {
      faulty.clear('bad-status');
      faulty.clear('offline');
      await subscription.terminate();
    }
  });

  it('counts requests per device and subscribed ticks in served', async () => {
    const before = { cnc: cnc.served, meter: meter.served };
    await ua.session.read([
      { nodeId: nodeId(cnc, 'feed_rate'), attributeId: AttributeIds.Value },
      { nodeId: nodeId(cnc, 'spindle_speed'), attributeId: AttributeIds.Value },
    ]);
    expect(cnc.served).toBe(before.cnc + 1);
    await collectChanges(ua.session, nodeId(meter, 'current_a'), 4); // the initial value + 3 ticks
    expect(meter.served).toBeGreaterThanOrEqual(before.meter + 3);
  });

  it('listens dual stack: IPv6 ::1 accepts connections too', async () => {
    // The node-opcua client cannot dial opc.tcp://[::1]:port (gateway's problem); the socket proves the bind.
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: '::1', port: sim.port }, () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });
  });
});

describe('OPC UA simulator restart', () => {
  it('drops the connection, comes back on the same port with the same certificate, and the client resumes', async () => {
    const certFile = path.join(dir, 'server-pki', 'own', 'certs', 'certificate.pem');
    const certBefore = await readFile(certFile, 'utf8');
    const portBefore = sim.port;
    const subscription = ClientSubscription.create(ua.session, {
      requestedPublishingInterval: 50,
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 100,
      publishingEnabled: true,
    });
    const values: number[] = [];
    let reestablished = 0;
    ua.client.on('connection_reestablished', () => reestablished++);
    try {
      const item = ClientMonitoredItem.create(
        subscription,
        { nodeId: nodeId(press, 'ram_position'), attributeId: AttributeIds.Value },
        { samplingInterval: 0, queueSize: 10 },
        TimestampsToReturn.Both,
      );
      item.on('changed', (dv: DataValue) => {
        if (dv.statusCode.isGood()) values.push(dv.value.value as number);
      });
      await waitFor(() => values.length >= 2, { what: 'changes before the restart' });

      await sim.restart(300);
      expect(sim.port).toBe(portBefore);
      expect(await readFile(certFile, 'utf8')).toBe(certBefore);

      await waitFor(() => reestablished > 0, { what: 'the client to reconnect', timeoutMs: 20_000 });
      const after = values.length;
      await waitFor(() => values.length >= after + 5, {
        what: '5 changes after the restart',
        timeoutMs: 20_000,
      });
      const read = await ua.session.read({
        nodeId: nodeId(press, 'oil_pressure'),
        attributeId: AttributeIds.Value,
      });
      expect(read.statusCode).toBe(StatusCodes.Good);
    } finally {
      await subscription.terminate().catch(() => undefined);
    }
  });
});

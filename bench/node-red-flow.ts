/**
 * The Node-RED flow bench/peers.ts runs: what a user would wire by hand for the same poll set.
 * Per device one modbus-client (TCP); per block the gateway plans one modbus-read (every 1 s) →
 * one function node that decodes that block's points with the same codecs (type, byte/word order,
 * scale, offset) into `{ device, t, n, values }` → one json node → one mqtt out (QoS 1, topic
 * nodered/<device>/<block>) on the benchmark's mosquitto. `t` is when the function ran (the read
 * time, for drift), `n` the number of points (so the subscriber counts without walking `values`).
 */
import { isBitTable } from '../wire/modbus/datatypes.ts';
import type { PollBlock, PollDevice } from './harness.ts';

/** Node-RED node types of node-red-contrib-modbus 5.23.x. */
const DATA_TYPE = {
  coil: 'Coil',
  discrete: 'Input',
  holding: 'HoldingRegister',
  input: 'InputRegister',
} as const;

// The decoder every function node carries (JavaScript run by Node-RED's sandbox). A point is
// [name, offset, type, order, scale, offset, bit, string length, bit table].
const DECODE = `
const W = { int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, float64: 4, int64: 4, uint64: 4 };
const view = new DataView(new ArrayBuffer(8));
function decode(d, p) {
  const at = p[1], type = p[2];
  if (p[8]) return d[at] === true;
  if (type === 'bool') return p[6] === null ? d[at] !== 0 : ((d[at] >> p[6]) & 1) === 1;
  if (type === 'string') {
    let s = '';
    for (let i = 0; i < Math.ceil(p[7] / 2); i++) {
      const w = d[at + i], a = w >> 8, b = w & 255;
      if (a === 0) break;
      s += String.fromCharCode(a);
      if (b === 0) break;
      s += String.fromCharCode(b);
    }
    return s;
  }
  const n = W[type], ws = p[3] === 'CDAB' || p[3] === 'DCBA', bs = p[3] === 'BADC' || p[3] === 'DCBA';
  for (let i = 0; i < n; i++) {
    const w = d[at + (ws ? n - 1 - i : i)];
    view.setUint16(2 * i, bs ? ((w & 255) << 8) | (w >> 8) : w);
  }
  let raw;
  switch (type) {
    case 'int16': raw = view.getInt16(0); break;
    case 'uint16': raw = view.getUint16(0); break;
    case 'int32': raw = view.getInt32(0); break;
    case 'uint32': raw = view.getUint32(0); break;
    case 'float32': raw = view.getFloat32(0); break;
    case 'float64': raw = view.getFloat64(0); break;
    case 'int64': raw = Number(view.getBigInt64(0)); break;
    default: raw = Number(view.getBigUint64(0));
  }
  return raw * p[4] + p[5];
}`;

function functionBody(device: string, index: number, b: PollBlock): string {
  const bits = isBitTable(b.table);
  const points = b.points.map((p) => [
    p.name,
    p.at,
    p.type,
    p.order,
    p.scale,
    p.offset,
    p.bit ?? null,
    p.length ?? 0,
    bits,
  ]);
  return `${DECODE}
const P = ${JSON.stringify(points)};
const d = msg.payload;
const values = {};
for (let i = 0; i < P.length; i++) values[P[i][0]] = decode(d, P[i]);
msg.topic = ${JSON.stringify(`nodered/${device}/${index}`)};
msg.payload = { device: ${JSON.stringify(device)}, t: Date.now(), n: P.length, values };
return msg;`;
}

export function nodeRedFlow(devices: readonly PollDevice[], brokerPort: number): Record<string, unknown>[] {
  // Ids carry a prefix no property value has: Node-RED takes any property equal to a node's id for a
  // reference to it (a json node with id 'json' depends on itself).
  const z = 'lwb:tab';
  const flow: Record<string, unknown>[] = [
    { id: z, type: 'tab', label: 'lianwang bench' },
    {
      id: 'lwb:broker',
      type: 'mqtt-broker',
      name: 'mosquitto',
      broker: '127.0.0.1',
      port: String(brokerPort),
      clientid: 'node-red-bench',
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
      autoUnsubscribe: true,
    },
    {
      id: 'lwb:out',
      type: 'mqtt out',
      z,
      name: '',
      topic: '',
      qos: '1',
      retain: 'false',
      broker: 'lwb:broker',
      wires: [],
    },
    {
      id: 'lwb:json',
      type: 'json',
      z,
      name: '',
      property: 'payload',
      action: 'str',
      pretty: false,
      wires: [['lwb:out']],
    },
  ];
  devices.forEach((d, i) => {
    const client = `lwb:client-${i}`;
    flow.push({
      id: client,
      type: 'modbus-client',
      name: d.id,
      clienttype: 'tcp',
      bufferCommands: true,
      stateLogEnabled: false,
      queueLogEnabled: false,
      failureLogEnabled: true,
      tcpHost: d.host,
      tcpPort: String(d.port),
      tcpType: 'DEFAULT',
      serialPort: '/dev/null',
      serialType: 'RTU-BUFFERD',
      serialBaudrate: '9600',
      serialDatabits: '8',
      serialStopbits: '1',
      serialParity: 'none',
      serialConnectionDelay: '100',
      unit_id: d.unit,
      commandDelay: 1,
      clientTimeout: 1000,
      reconnectOnTimeout: true,
      reconnectTimeout: 2000,
      parallelUnitIdsAllowed: true,
    });
    d.blocks.forEach((b, j) => {
      const id = `lwb:read-${i}-${j}`;
      flow.push(
        {
          id,
          type: 'modbus-read',
          z,
          name: `${d.id} ${b.table} ${b.address}+${b.quantity}`,
          topic: '',
          showStatusActivities: false,
          logIOActivities: false,
          showErrors: false,
          unitid: '',
          dataType: DATA_TYPE[b.table],
          adr: String(b.address),
          quantity: String(b.quantity),
          rate: String(d.intervalMs),
          rateUnit: 'ms',
          delayOnStart: false,
          startDelayTime: '',
          server: client,
          useIOFile: false,
          ioFile: '',
          useIOForPayload: false,
          emptyMsgOnFail: false,
          wires: [[`lwb:fn-${i}-${j}`], []],
        },
        {
          id: `lwb:fn-${i}-${j}`,
          type: 'function',
          z,
          name: `decode ${d.id} #${j}`,
          func: functionBody(d.id, j, b),
          outputs: 1,
          timeout: 0,
          noerr: 0,
          initialize: '',
          finalize: '',
          libs: [],
          wires: [['lwb:json']],
        },
      );
    });
  });
  return flow;
}

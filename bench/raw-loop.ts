/**
 * The raw ceiling of bench/peers.ts: a bare modbus-serial block-read loop with no processing —
 * one client per device, the gateway's own blocks, nothing decoded, nothing published; only the
 * points a block holds are counted. Run as a child process (its own CPU and RSS):
 *
 *   node --import tsx bench/raw-loop.ts <plan.json> paced|unpaced   (IPC channel required)
 *
 * paced: each device polls at its interval on a fixed-rate schedule with a random phase, as the
 * gateway does; unpaced: each device reads its blocks back to back as fast as the simulator answers.
 * The parent sends 'mark' (reset counters, start recording poll times) and 'report' (answer the
 * counters and drift since the mark), then 'stop'.
 */
import { readFile } from 'node:fs/promises';
import modbusSerial from 'modbus-serial';
import type { PollBlock, PollDevice } from './harness.ts';
import { PollTimes } from './harness.ts';

const ModbusRTU = modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;

export interface RawReport {
  points: number;
  reads: number;
  errors: number;
  seconds: number;
  drift: ReturnType<PollTimes['drift']>;
}

function read(c: Client, b: PollBlock): Promise<unknown> {
  switch (b.table) {
    case 'coil':
      return c.readCoils(b.address, b.quantity);
    case 'discrete':
      return c.readDiscreteInputs(b.address, b.quantity);
    case 'input':
      return c.readInputRegisters(b.address, b.quantity);
    case 'holding':
      return c.readHoldingRegisters(b.address, b.quantity);
  }
}

async function main(planFile: string, mode: string): Promise<void> {
  const devices = JSON.parse(await readFile(planFile, 'utf8')) as PollDevice[];
  const times = new PollTimes();
  let points = 0;
  let reads = 0;
  let errors = 0;
  let markedAt = performance.now();
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const clients = await Promise.all(
    devices.map(async (d) => {
      const c = new ModbusRTU();
      await c.connectTCP(d.host, { port: d.port });
      c.setID(d.unit);
      c.setTimeout(1000);
      return c;
    }),
  );
  const poll = async (d: PollDevice, c: Client) => {
    times.add(d.id, Date.now());
    for (const b of d.blocks) {
      try {
        await read(c, b);
        reads++;
        points += b.points.length;
      } catch {
        errors++;
      }
    }
  };
  devices.forEach((d, i) => {
    const c = clients[i];
    if (!c) return;
    if (mode === 'unpaced') {
      const loop = async () => {
        while (!stopped) await poll(d, c);
      };
      void loop();
      return;
    }
    const start = performance.now() + Math.random() * d.intervalMs;
    let k = 0;
    const tick = async () => {
      if (stopped) return;
      await poll(d, c);
      k++;
      const now = performance.now();
      let next = start + k * d.intervalMs;
      if (next < now) k += Math.ceil((now - next) / d.intervalMs);
      next = start + k * d.intervalMs;
      const t = setTimeout(() => {
        timers.delete(t);
        void tick();
      }, next - now);
      timers.add(t);
    };
    const t = setTimeout(() => void tick(), start - performance.now());
    timers.add(t);
  });
  const send = (m: unknown) => process.send?.(m);
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'mark') {
      points = reads = errors = 0;
      markedAt = performance.now();
      times.start();
      send({ cmd: 'marked' });
    } else if (m.cmd === 'report') {
      const report: RawReport = {
        points,
        reads,
        errors,
        seconds: (performance.now() - markedAt) / 1000,
        drift: times.drift(devices[0]?.intervalMs ?? 1000),
      };
      send({ cmd: 'report', report });
    } else if (m.cmd === 'stop') {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      for (const c of clients) c.close(() => undefined);
      process.disconnect?.();
    }
  });
  send({ cmd: 'ready', devices: devices.length });
}

const [planFile, mode] = process.argv.slice(2);
if (!planFile || (mode !== 'paced' && mode !== 'unpaced')) {
  console.error('usage: node --import tsx bench/raw-loop.ts <plan.json> paced|unpaced');
  process.exit(2);
}
await main(planFile, mode);

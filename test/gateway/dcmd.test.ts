/**
 * Device commands: a Sparkplug DCMD to a setpoint (holding register) or a command coil of a simulated
 * Modbus device is written through the gateway's link, the simulator takes it and the next poll reports
 * it; a read-only point, an unknown metric or device and a value that does not fit are rejected with a
 * log line. Every command is counted by result.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { SparkplugType } from '../../wire/sparkplug/index.ts';
import { mosquittoBinary } from '../helpers/mosquitto.ts';
import { tool } from '../helpers/tools.ts';
import { waitFor } from '../helpers/wait.ts';
import { type Rig, startRig } from './_setup/rig.ts';

let rig: Rig | undefined;
afterAll(() => rig?.close());

describe('device commands', () => {
  it('writes a setpoint and a coil from DCMD; rejects read-only, unknown and unfitting ones', async (ctx) => {
    tool(ctx, mosquittoBinary.name, mosquittoBinary.installHint);
    rig = await startRig({
      name: 'dcmd',
      tickMs: 100,
      interval: '200ms',
      timeout: '250ms',
      reconnectMax: '400ms',
      proxy: false,
    });
    const { observer, sim } = rig;
    const logs: { msg: string; reason?: string; metric?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          logs.push(JSON.parse(line) as (typeof logs)[number]);
        done();
      },
    });
    const gw = await rig.gateway({ log: pino({ level: 'info' }, sink) });
    const press = sim.devices.get('t1/press-a');
    if (!press) throw new Error('no press-a in the simulation');
    await waitFor(() => observer.count('DBIRTH', 'press-a') > 0, { what: 'the press born' });
    const alias = (name: string) =>
      observer.messages
        .find((m) => m.type === 'DBIRTH' && m.device === 'press-a')
        ?.metrics.find((m) => m.name === name)?.alias;

    // A float32 setpoint by name; the next polls report it.
    await observer.dcmd('t1-gw', 'press-a', [
      { name: 'pressure_sp', datatype: SparkplugType.Float, value: 21.5 },
    ]);
    await waitFor(() => gw.commands().written === 1, { what: 'the setpoint written' });
    expect(press.values().pressure_sp).toBeCloseTo(21.5, 5);
    await waitFor(
      () => [...(observer.samples.get('press-a|pressure_sp')?.values() ?? [])].some((v) => v === 21.5),
      { what: 'the new setpoint reported north' },
    );

    // A command coil by alias only, as a host that learned the aliases from DBIRTH sends it.
    const enable = alias('enable');
    expect(enable).toBeDefined();
    const before = Boolean(press.values().enable);
    await observer.dcmd('t1-gw', 'press-a', [
      { alias: enable, datatype: SparkplugType.Boolean, value: !before },
    ]);
    await waitFor(() => gw.commands().written === 2, { what: 'the coil written' });
    expect(press.values().enable).toBe(!before);

    // Refused before anything reaches the device.
    await observer.dcmd('t1-gw', 'press-a', [
      { name: 'state', datatype: SparkplugType.UInt16, value: 3 },
      { name: 'no_such_point', datatype: SparkplugType.Double, value: 1 },
      { name: 'pressure_sp', datatype: SparkplugType.String, value: 'high' },
    ]);
    await observer.dcmd('t1-gw', 'ghost', [{ name: 'pressure_sp', datatype: SparkplugType.Float, value: 1 }]);
    await waitFor(() => gw.commands().rejected === 4, { what: 'four commands rejected' });
    expect(gw.commands()).toEqual({ written: 2, failed: 0, rejected: 4 });
    expect(press.values().pressure_sp).toBeCloseTo(21.5, 5);
    const rejected = logs.filter((l) => l.msg === 'command rejected');
    expect(rejected.map((l) => [l.metric, l.reason])).toEqual([
      ['state', 'read-only point'],
      ['no_such_point', 'unknown metric'],
      ['pressure_sp', 'pressure_sp on t1/press-a: high does not fit a float32'],
      ['pressure_sp', 'unknown device'],
    ]);
    expect(logs.filter((l) => l.msg === 'command written')).toHaveLength(2);
    expect(gw.north().commandsReceived).toBe(6);
  });
});

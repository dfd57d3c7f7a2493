import { describe, expect, it } from 'vitest';
import { formatError, loadGatewayFile } from '../index.ts';

describe('gateway files', () => {
  it('loads the example: devices from the plant, poll groups, deadbands', async () => {
    const r = await loadGatewayFile('config/gateways/ts-steel.yaml');
    if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
    const g = r.value;
    expect(g.config.gateway).toMatchObject({ group: 'ts-steel', node: 'ts-steel-gw1' });
    expect(g.devices).toHaveLength(11);
    const furnace = g.devices.find((d) => d.device.id === 'furnace-1');
    expect(furnace?.points.every((p) => p.intervalMs === 500 && p.deadband === 0.5)).toBe(true);
    const meter = g.devices.find((d) => d.device.id === 'mill-meter');
    expect(meter?.points.find((p) => p.point.name === 'active_power')?.intervalMs).toBe(500);
    expect(meter?.points.find((p) => p.point.name === 'voltage_a')?.intervalMs).toBe(5000);
    expect(meter?.points.map((p) => p.point.name)).toContain('meter_temp');
    expect(g.config.mqtt.brokers).toEqual(['mqtt://[::1]:1883']);
    expect(g.config.buffer.maxAge).toBe(7 * 86_400_000);
  });

  it('reports unknown devices, poll groups and points with their location', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-gwcfg-'));
    try {
      const plant = path.resolve('config/plants/demo.yaml');
      await writeFile(
        path.join(dir, 'gw.yaml'),
        `gateway:
  group: g
  node: n
  plant: ${plant}
  enterprise: ts-steel
  devices:
    - id: furnace-9
    - id: furnace-1
      pollGroup: turbo
      pointOptions: { nope: { deadband: 1 } }
mqtt: { brokers: ["mqtt://[::1]:1883"] }
`,
      );
      const r = await loadGatewayFile(path.join(dir, 'gw.yaml'));
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.errors.map((e) => `${e.line}:${e.column} ${e.message}`)).toEqual([
        '7:11 no device "ts-steel/furnace-9" in the plant (enterprise ts-steel)',
        '9:18 unknown poll group "turbo"; known: (none)',
        '10:23 no point "nope" on furnace-1',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

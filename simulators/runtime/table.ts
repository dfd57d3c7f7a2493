/** The live table of `lianwang sim`: one line per device, pure text. */
import type { Simulation } from './simulation.ts';

const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

export function renderTable(sim: Simulation, maxRows = 60): string[] {
  const header = `${pad('device', 30)} ${pad('protocol', 10)} ${pad('address', 34)} ${pad('state', 11)} ${'served'.padStart(9)}  faults`;
  const lines = [header, '─'.repeat(header.length + 8)];
  let i = 0;
  for (const d of sim.devices.values()) {
    if (i++ >= maxRows) {
      lines.push(`… and ${sim.devices.size - maxRows} more devices`);
      break;
    }
    const faults = [...d.faults.keys()].join(',') || (sim.truth.isReachable(d.key) ? '' : 'unreachable');
    lines.push(
      `${pad(d.key, 30)} ${pad(d.device.connectivity.type, 10)} ${pad(sim.addressOf(d), 34)} ${pad(d.machine, 11)} ${String(d.served).padStart(9)}  ${faults}`,
    );
  }
  return lines;
}

export function summaryLine(sim: Simulation): string {
  let served = 0;
  let faulted = 0;
  const states = new Map<string, number>();
  for (const d of sim.devices.values()) {
    served += d.served;
    if (d.faults.size) faulted++;
    states.set(d.machine, (states.get(d.machine) ?? 0) + 1);
  }
  const s = [...states].map(([k, v]) => `${k}=${v}`).join(' ');
  return `sim t=${(sim.clock.now / 1000).toFixed(0)}s devices=${sim.devices.size} ${s} faulted=${faulted} served=${served}`;
}

/**
 * `lianwang sim --emit-gateway-config <dir>`: one gateway file per simulated enterprise, with
 * its devices inline at the addresses the simulator actually serves (ephemeral ports included),
 * ready for `lianwang gateway <file>`.
 */
import { KINDS } from '../../config/index.ts';
import type { GatewayFileInput } from '../../config/model/gateway.ts';
import type { Simulation } from './simulation.ts';

export interface EmitOptions {
  /** Broker URLs for the gateways; default mqtt://[::1]:1883. */
  brokers?: string[];
  /** The host clients use to reach the simulator; default ::1. */
  host?: string;
  /**
   * The plant file as the gateway file should reference it (a path relative to where the
   * gateway file is written). With it, devices are referenced by id and only their served
   * address is given; without it, devices are written inline with their own points.
   */
  plantRef?: string;
}

export function gatewayConfigs(sim: Simulation, opts: EmitOptions = {}): Map<string, GatewayFileInput> {
  const host = opts.host ?? '::1';
  const out = new Map<string, GatewayFileInput>();
  for (const d of sim.devices.values()) {
    const dev = d.device;
    const ent = dev.enterprise;
    let file = out.get(ent);
    if (!file) {
      file = {
        gateway: {
          group: ent,
          node: `${ent}-gw`,
          ...(opts.plantRef ? { plant: opts.plantRef, enterprise: ent } : {}),
          devices: [],
        },
        mqtt: { brokers: opts.brokers ?? ['mqtt://[::1]:1883'] },
      };
      out.set(ent, file);
    }
    const c = dev.connectivity;
    const connectivity =
      c.type === 'modbus-tcp'
        ? { ...c, host, port: sim.ports.get(c.port) ?? c.port }
        : c.type === 'opcua'
          ? {
              ...c,
              endpoint:
                sim.opcuaServers.get(Number(new URL(c.endpoint).port || 4840))?.endpointUrl ?? c.endpoint,
            }
          : c;
    if (opts.plantRef) {
      file.gateway.devices?.push({ id: dev.id, connectivity });
      continue;
    }
    const defaults = new Set(KINDS.get(dev.kind)?.points);
    const own = dev.points.filter((p) => !defaults.has(p));
    file.gateway.devices?.push({
      id: dev.id,
      line: dev.line,
      kind: dev.kind,
      connectivity,
      ...(own.length ? { points: own } : {}),
    });
  }
  return out;
}

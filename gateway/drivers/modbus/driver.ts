/** The Modbus driver (TCP and RTU): one link per endpoint or serial line, one poller per device. */
import { type Driver, type DriverFactory, WriteRefused } from '../types.ts';
import { type LinkTarget, linkKey, ModbusLink } from './link.ts';
import { DevicePoller } from './poller.ts';

export const createModbusDriver: DriverFactory = (ctx): Driver => {
  const links = new Map<string, ModbusLink>();
  const pollers: DevicePoller[] = [];
  return {
    start() {
      for (const d of ctx.devices) {
        const c = d.connectivity;
        let target: LinkTarget;
        if (c.type === 'modbus-tcp') target = { kind: 'tcp', host: c.host, port: c.port };
        else if (c.type === 'modbus-rtu') target = { kind: 'rtu', ...c };
        else continue;
        const key = linkKey(target);
        let link = links.get(key);
        if (!link) {
          link = new ModbusLink(target, {
            timeoutMs: ctx.timeoutMs,
            backoffMinMs: ctx.backoffMinMs,
            backoffMaxMs: ctx.backoffMaxMs,
          });
          links.set(key, link);
        }
        const poller = new DevicePoller(d, link, ctx);
        pollers.push(poller);
        poller.start();
      }
      return Promise.resolve();
    },
    async stop() {
      for (const p of pollers) p.stop();
      await Promise.all([...links.values()].map((l) => l.close()));
    },
    counters() {
      return new Map(pollers.map((p) => [p.key, p.counters]));
    },
    write(device, point, value) {
      const poller = pollers.find((p) => p.key === device);
      if (!poller) return Promise.reject(new WriteRefused(`no Modbus device ${device}`));
      return poller.write(point, value);
    },
  };
};

/**
 * `lianwang gateway <gateway.yaml>`: runs an edge gateway until SIGINT/SIGTERM (graceful:
 * NDEATH, queue flushed); SIGHUP re-reads the file and restarts the gateway's collection.
 */
import { openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { formatError, loadGatewayFile } from '../../config/index.ts';
import { buildGateway, type Gateway, type GatewayOptions } from '../../gateway/app.ts';
import { type OpsServer, startOpsServer } from '../../gateway/ops/http.ts';

export async function gatewayCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const file = positionals[0];
  if (!file) {
    console.error('lianwang gateway: expected a gateway file, e.g. config/gateways/ts-steel.yaml');
    return 2;
  }
  const root = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const log = root.child({ name: 'gateway:cli' });
  const load = async () => {
    const loaded = await loadGatewayFile(file);
    if (!loaded.ok) for (const e of loaded.errors) console.error(formatError(e));
    return loaded.ok ? loaded.value : undefined;
  };
  const first = await load();
  if (!first) return 1;
  const audit = readLog(process.env.LIANWANG_READ_LOG);
  let gw: Gateway = buildGateway(first, { log: root, ...audit });
  let ops: OpsServer | undefined;
  await gw.start();
  const http = first.config.http;
  if (http) {
    ops = await startOpsServer(gw, http.host, http.port);
    log.info({ url: ops.url }, 'health and metrics');
  }
  const reload = async () => {
    const next = await load();
    if (!next) {
      log.error({ file }, 'reload refused: the file has errors; still running the previous configuration');
      return;
    }
    log.info({ file }, 'reloading');
    if (await gw.reload(next)) return;
    log.info({ file }, 'more than the device list changed: restarting the gateway');
    await ops?.close();
    await gw.stop();
    gw = buildGateway(next, { log: root, ...audit });
    await gw.start();
    if (next.config.http) ops = await startOpsServer(gw, next.config.http.host, next.config.http.port);
  };
  process.on('SIGHUP', () => void reload());
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log.info({}, 'stopping');
  await ops?.close();
  await gw.stop();
  return 0;
}

/**
 * `LIANWANG_READ_LOG=<file>` (the chaos test, test/chaos/): every sample read is appended to the
 * file as a JSON line `{device, point, time, good}` by a synchronous write, before the readings go
 * north, so a kill -9 cannot lose the line of a sample the gateway had handed on. It also turns
 * report-by-exception off: every sample read is then a sample sent, and the log is exactly what the
 * store must end up with (docs/reliability.md).
 */
function readLog(file: string | undefined): GatewayOptions {
  if (!file) return {};
  const fd = openSync(file, 'a');
  return {
    maxSilenceMs: 0,
    onRead(device, readings) {
      let lines = '';
      for (const r of readings)
        lines += `${JSON.stringify({ device, point: r.point, time: r.time, good: r.good })}\n`;
      if (lines) writeSync(fd, lines);
    },
  };
}

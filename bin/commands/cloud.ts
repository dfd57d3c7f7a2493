/**
 * `lianwang cloud`: ingest (Sparkplug host application), store, rates and the HTTP API until
 * SIGINT/SIGTERM. Secrets (MQTT password, API tokens) come from files or the environment,
 * never from flags that `ps` shows.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { parseDuration } from '../../config/model/faults.ts';
import { buildCloud, CloudConfigError, type CloudRole } from '../../cloud/app.ts';
import { parseRetention } from '../../cloud/store/influxql.ts';
import { CLOUD_USAGE } from './cloud-usage.ts';
import { ensureDashboard } from '../../cloud/dashboard.ts';

const secret = async (env: string, file: string | undefined): Promise<string | undefined> =>
  file ? (await readFile(file, 'utf8')).trim() : process.env[env] || undefined;

export async function cloudCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        broker: { type: 'string', default: 'mqtt://[::1]:1883' },
        protocol: { type: 'string', default: '4' },
        username: { type: 'string' },
        'password-file': { type: 'string' },
        ca: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        plant: { type: 'string', multiple: true },
        influx: { type: 'string' },
        retention: { type: 'string', default: '90d' },
        data: { type: 'string', default: 'data/cloud' },
        bind: { type: 'string', default: '::' },
        port: { type: 'string', default: '8080' },
        role: { type: 'string', default: 'all' },
        'share-group': { type: 'string' },
        'client-id': { type: 'string' },
        'host-id': { type: 'string' },
        width: { type: 'string', default: '60s' },
        'snapshot-every': { type: 'string', default: '5m' },
        theta: { type: 'string' },
        target: { type: 'string' },
        static: { type: 'string' },
        'read-token-file': { type: 'string' },
        'admin-token-file': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'influx-password-file': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    console.error(`lianwang cloud: ${(err as Error).message}\n\n${CLOUD_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(CLOUD_USAGE);
    return 0;
  }
  const fail = (msg: string) => {
    console.error(`lianwang cloud: ${msg}`);
    return 2;
  };
  const role = values.role as CloudRole;
  if (!['all', 'tracker', 'worker'].includes(role))
    return fail(`--role must be all, tracker or worker, got "${role}"`);
  const protocol = Number(values.protocol);
  if (protocol !== 4 && protocol !== 5) return fail(`--protocol must be 4 or 5, got "${values.protocol}"`);
  if (values['share-group'] && protocol !== 5)
    return fail('--share-group needs --protocol 5 (shared subscriptions are MQTT 5)');
  const widthMs = parseDuration(values.width);
  if (widthMs === undefined || widthMs < 1000)
    return fail(`--width must be a duration of at least 1s, got "${values.width}"`);
  try {
    parseRetention(values.retention);
  } catch (err) {
    return fail(`--retention: ${(err as Error).message}`);
  }
  const snapshotEveryMs = values['snapshot-every'] === '0' ? 0 : parseDuration(values['snapshot-every']);
  if (snapshotEveryMs === undefined || (snapshotEveryMs > 0 && snapshotEveryMs < 1000))
    return fail(
      `--snapshot-every must be a duration of at least 1s, or 0, got "${values['snapshot-every']}"`,
    );
  // A password in a URL shows in `ps` and would be logged with the URL: it comes from a file or the environment.
  for (const [flag, url] of [
    ['--broker', values.broker],
    ['--influx', values.influx],
  ] as const) {
    if (url !== undefined && URL.canParse(url) && new URL(url).password !== '')
      return fail(`${flag} must not carry a password: use a password file or the environment (--help)`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return fail(`--port must be 0–65535, got "${values.port}"`);
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n >= 0 && n <= 1)) throw new CloudConfigError(`--${name} must be a number in 0..1, got "${v}"`);
    return n;
  };
  const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  try {
    const password = await secret('LIANWANG_MQTT_PASSWORD', values['password-file']);
    const readToken = await secret('LIANWANG_READ_TOKEN', values['read-token-file']);
    const adminToken = await secret('LIANWANG_ADMIN_TOKEN', values['admin-token-file']);
    const tls = {
      ...(values.ca ? { ca: await readFile(values.ca) } : {}),
      ...(values.cert ? { cert: await readFile(values.cert) } : {}),
      ...(values.key ? { key: await readFile(values.key) } : {}),
    };
    if (!values['tls-cert'] !== !values['tls-key'])
      throw new CloudConfigError('HTTPS needs both --tls-cert and --tls-key');
    const https =
      values['tls-cert'] && values['tls-key']
        ? { cert: await readFile(values['tls-cert']), key: await readFile(values['tls-key']) }
        : undefined;
    const influxPassword = await secret('LIANWANG_INFLUX_PASSWORD', values['influx-password-file']);
    let influx = values.influx;
    if (influx && influxPassword) {
      const u = new URL(influx);
      if (u.username === '') throw new CloudConfigError('an InfluxDB password needs a user name in --influx');
      u.password = encodeURIComponent(influxPassword);
      influx = u.toString();
    }
    const theta = num('theta', values.theta);
    const target = num('target', values.target);
    const cloud = await buildCloud({
      mqtt: {
        broker: values.broker,
        protocolVersion: protocol,
        ...(values.username ? { username: values.username } : {}),
        ...(password ? { password } : {}),
        ...(Object.keys(tls).length ? { tls } : {}),
        ...(values['share-group'] ? { shareGroup: values['share-group'] } : {}),
        ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
        ...(values['host-id'] ? { hostId: values['host-id'] } : {}),
      },
      role,
      plants: values.plant ?? [],
      dataDir: values.data,
      ...(influx ? { influx } : {}),
      retention: values.retention,
      ...(role === 'worker' ? {} : { http: { host: values.bind, port } }),
      ...(https ? { https } : {}),
      widthMs,
      snapshotEveryMs,
      ...(theta === undefined ? {} : { theta }),
      ...(target === undefined ? {} : { target }),
      ...(role === 'worker' ? {} : { staticDir: values.static ?? (await ensureDashboard()) }),
      ...(readToken ? { readToken } : {}),
      ...(adminToken ? { adminToken } : {}),
      log,
    });
    await cloud.ingest.ready();
    log.info({ role, store: cloud.store.location, api: cloud.url, broker: values.broker }, 'cloud ready');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log.info({}, 'stopping');
    await cloud.stop();
    return 0;
  } catch (err) {
    if (err instanceof CloudConfigError) {
      console.error(err.message);
      return 1;
    }
    // A store or port that cannot be opened at start: one clear line, exit 1 (a supervisor
    // restarts us), not a stack trace. LOG_LEVEL=debug shows the stack.
    const e = err as Error & { cause?: unknown };
    const cause =
      e.cause instanceof Error && !e.message.includes(e.cause.message) ? ` (${e.cause.message})` : '';
    console.error(`lianwang cloud: cannot start: ${e.message}${cause}`);
    if (process.env.LOG_LEVEL === 'debug') console.error(e.stack);
    return 1;
  }
}

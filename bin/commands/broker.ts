/**
 * `lianwang broker --config broker.yaml`: the embedded MQTT broker with access control until
 * SIGINT/SIGTERM. `--redis url` (or the file's `cluster:`) makes it one node of a cluster sharing
 * that Redis (docs/scaling.md). Without --config: an open broker (no access control) for tests and
 * closed networks, on loopback unless --host says otherwise. `lianwang broker hash-password`: reads
 * a password from stdin (never from the command line, which `ps` shows) and prints its scrypt hash
 * for the file's `passwordHash`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { formatError } from '../../config/index.ts';
import { parseDuration } from '../../config/model/faults.ts';
import { brokerOptions, loadBrokerFile } from '../../cloud/broker/config.ts';
import { parseRedisUrl } from '../../cloud/broker/cluster-config.ts';
import { startEmbeddedBroker, type EmbeddedBrokerOptions } from '../../cloud/broker/embedded.ts';
import { hashPassword } from '../../cloud/broker/passwords.ts';
import { BROKER_USAGE } from './broker-usage.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export async function brokerCommand(args: string[]): Promise<number> {
  if (args[0] === 'hash-password') {
    if (process.stdin.isTTY) console.error('password (then Enter and Ctrl-D):');
    const password = await readStdin();
    if (password === '') {
      console.error('lianwang broker hash-password: empty password on stdin');
      return 2;
    }
    console.log(await hashPassword(password));
    return 0;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        redis: { type: 'string' },
        'redis-password-file': { type: 'string' },
        heartbeat: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    console.error(`lianwang broker: ${(err as Error).message}\n\n${BROKER_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(BROKER_USAGE);
    return 0;
  }
  const fail = (msg: string) => {
    console.error(`lianwang broker: ${msg}\n\n${BROKER_USAGE}`);
    return 2;
  };
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))
    return fail(`--port must be 0–65535, got "${values.port}"`);
  if (values.redis !== undefined) {
    const e = parseRedisUrl(values.redis);
    if (typeof e === 'string') return fail(`--redis: ${e}`);
  }
  const heartbeatMs = values.heartbeat === undefined ? undefined : parseDuration(values.heartbeat);
  if (values.heartbeat !== undefined && (heartbeatMs === undefined || heartbeatMs < 100))
    return fail(`--heartbeat must be a duration of at least 100ms, got "${values.heartbeat}"`);
  if (values.redis === undefined && (values.heartbeat || values['redis-password-file']))
    return fail('--heartbeat and --redis-password-file need --redis');

  let options: Omit<EmbeddedBrokerOptions, 'log' | 'registry'>;
  let identities = 0;
  if (values.config) {
    const loaded = await loadBrokerFile(values.config);
    if (!loaded.ok) {
      for (const e of loaded.errors) console.error(formatError(e));
      return 1;
    }
    identities = loaded.value.identities.length;
    options = await brokerOptions(loaded.value, values.config);
    if (values.host !== undefined || port !== undefined) {
      if (options.tcp === false)
        return fail('--host/--port: the file has no plain MQTT listener (mqtt: false)');
      options = { ...options, host: values.host ?? options.host, port: port ?? options.port };
    }
  } else {
    options = { host: values.host ?? '::1', port: port ?? 1883 };
  }
  if (values.redis !== undefined) {
    const passwordFile = values['redis-password-file'];
    const password = passwordFile
      ? (await readFile(passwordFile, 'utf8')).trim()
      : process.env.LIANWANG_REDIS_PASSWORD || undefined;
    options = {
      ...options,
      cluster: {
        ...options.cluster,
        redis: values.redis,
        ...(password === undefined ? {} : { password }),
        ...(heartbeatMs === undefined ? {} : { heartbeatIntervalMs: heartbeatMs }),
      },
    };
  }
  const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  if (!values.config) log.warn('no --config: open broker, no access control (any client may do anything)');
  let broker;
  try {
    broker = await startEmbeddedBroker({ ...options, log });
  } catch (err) {
    console.error(`lianwang broker: ${(err as Error).message}`);
    return 1;
  }
  log.info(
    {
      url: options.tcp === false ? undefined : broker.url,
      tls: broker.tlsUrl,
      identities,
      ...(broker.cluster ? { node: broker.cluster.id, redis: broker.cluster.redis } : {}),
    },
    'broker ready',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log.info({ refusals: broker.refusals() }, 'stopping');
  await broker.close();
  return 0;
}

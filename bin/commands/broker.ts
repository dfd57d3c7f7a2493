/**
 * `lianwang broker --config broker.yaml`: the embedded MQTT broker with access control until
 * SIGINT/SIGTERM. `lianwang broker hash-password`: reads a password from stdin (never from the
 * command line, which `ps` shows) and prints its scrypt hash for the file's `passwordHash`.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { formatError } from '../../config/index.ts';
import { brokerOptions, loadBrokerFile } from '../../cloud/broker/config.ts';
import { startEmbeddedBroker } from '../../cloud/broker/embedded.ts';
import { hashPassword } from '../../cloud/broker/passwords.ts';

const BROKER_USAGE = `lianwang broker --config <broker.yaml>   (example: cloud/broker/broker.example.yaml)
       lianwang broker hash-password < password-file`;

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
    ({ values } = parseArgs({ args, options: { config: { type: 'string' } } }));
  } catch (err) {
    console.error(`lianwang broker: ${(err as Error).message}\n\n${BROKER_USAGE}`);
    return 2;
  }
  if (!values.config) {
    console.error(`lianwang broker: --config is required\n\n${BROKER_USAGE}`);
    return 2;
  }
  const loaded = await loadBrokerFile(values.config);
  if (!loaded.ok) {
    for (const e of loaded.errors) console.error(formatError(e));
    return 1;
  }
  const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const broker = await startEmbeddedBroker({ ...(await brokerOptions(loaded.value, values.config)), log });
  log.info(
    {
      url: loaded.value.mqtt === false ? undefined : broker.url,
      tls: broker.tlsUrl,
      identities: loaded.value.identities.length,
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

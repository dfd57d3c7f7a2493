import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import mqtt from 'mqtt';
import type { Binary } from './binaries.ts';
import { startDaemon } from './daemon.ts';
import { freePort } from './ports.ts';

export const mosquittoBinary: Binary = { name: 'mosquitto', installHint: 'apt-get install -y mosquitto' };

export interface Mosquitto {
  port: number;
  /** mqtt://[::1]:PORT — the same port also listens on 127.0.0.1. */
  url: string;
  stop(): Promise<void>;
}

/** A mosquitto 2 broker (MQTT 5, shared subscriptions) on an ephemeral port, anonymous, in memory. */
export async function startMosquitto(
  opts: {
    timeoutMs?: number;
    port?: number;
    persistenceDir?: string;
    /** Extra mosquitto.conf lines, e.g. a TLS listener or a password file; `{dir}` is the daemon's temp dir. */
    extra?: (dir: string) => Promise<string> | string;
  } = {},
): Promise<Mosquitto> {
  const port = opts.port ?? (await freePort());
  const url = `mqtt://[::1]:${port}`;
  const daemon = await startDaemon({
    binary: mosquittoBinary,
    args: async (dir) => {
      const file = path.join(dir, 'mosquitto.conf');
      await writeFile(file, config(port, opts.persistenceDir) + (opts.extra ? await opts.extra(dir) : ''));
      return ['-c', file];
    },
    ready: () => connects(url),
    what: `an MQTT 5 CONNACK from ${url}`,
    timeoutMs: opts.timeoutMs,
  });
  return { port, url, stop: () => daemon.stop() };
}

// `listener PORT ::` is IPv6 only (mosquitto sets IPV6_V6ONLY), hence the second IPv4 listener.
// max_queued_messages 0 means unlimited: the default 1000 silently drops QoS 1/2 messages queued for a
// slow subscriber, which would turn a slow ingest into lost data instead of a visible backlog.
// With a persistence directory, sessions and queued messages survive a restart (saved on SIGTERM).
function config(port: number, persistenceDir?: string): string {
  const persistence = persistenceDir
    ? `persistence true\npersistence_location ${persistenceDir}/\nautosave_interval 1`
    : 'persistence false';
  // user root: as root, mosquitto would otherwise switch to user "mosquitto", which cannot read
  // the test's private temp directories (certificates); as non-root the option has no effect.
  return `per_listener_settings false
user root
allow_anonymous true
${persistence}
set_tcp_nodelay true
max_queued_messages 0
log_dest stdout
log_type error
log_type warning
listener ${port} ::
listener ${port} 127.0.0.1
`;
}

async function connects(url: string): Promise<boolean> {
  // allowRetries false: a refused connection rejects instead of leaving the promise pending.
  const client = await mqtt.connectAsync(
    url,
    { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 1_000 },
    false,
  );
  const connected = client.connected;
  await client.endAsync();
  return connected;
}

import { startEmbeddedBroker } from '../../cloud/broker/embedded.ts';

export interface AedesServer {
  port: number;
  /** mqtt://[::1]:PORT, dual stack: 127.0.0.1 works too. aedes speaks MQTT 3.1.1 only (protocolVersion 4). */
  url: string;
  stop(): Promise<void>;
}

/** The embedded aedes broker the cloud ships, listening on `::` on an ephemeral port. */
export async function startAedes(): Promise<AedesServer> {
  const broker = await startEmbeddedBroker({ host: '::', port: 0 });
  return { port: broker.port, url: broker.url, stop: () => broker.close() };
}

/**
 * The demo's uplink: a TCP proxy between one gateway and the broker that the fault timeline can
 * cut and restore. Cutting drops the open connection (the broker publishes the gateway's Will,
 * NDEATH) and resets every new attempt until it is restored, so the gateway goes through a real
 * outage — reconnect backoff, store-and-forward to disk, NBIRTH and replay — with no gateway
 * code knowing about the demo.
 *
 * The listener stays open while cut (connections are accepted and reset at once) so the port
 * cannot be taken by another process between cut and restore.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

export class UplinkProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #cut = false;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  get url(): string {
    return `mqtt://[::1]:${this.port}`;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  async start(): Promise<void> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '::1', port: 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Drops every open connection and resets new ones until restore(). */
  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  restore(): void {
    this.#cut = false;
  }

  async stop(): Promise<void> {
    this.cut();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#cut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.#target);
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
      // A reset on either side ends both; the gateway's own reconnect loop takes over.
      s.on('error', () => s.destroy());
    }
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  }
}

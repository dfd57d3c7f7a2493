import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy that a test can cut and restore: `cut()` drops every connection and refuses new
 * ones (the listener closes), `restore()` listens again on the same port. Used to make a peer
 * unreachable for one client while other clients keep using it.
 */
export class CuttableProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  get url(): string {
    return `mqtt://[::1]:${this.port}`;
  }

  async restore(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '::', port: this.port }, () => resolve());
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A TCP proxy that can stop forwarding without closing anything: a link that silently loses packets. */
export async function blackholeProxy(targetPort: number): Promise<{
  port: number;
  blackhole(on: boolean): void;
  close(): Promise<void>;
}> {
  let dropping = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '::1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (b) => {
      if (!dropping) upstream.write(b);
    });
    upstream.on('data', (b) => {
      if (!dropping) client.write(b);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    blackhole(on) {
      dropping = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

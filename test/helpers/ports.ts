import net from 'node:net';

/**
 * An ephemeral port that is free on both IPv6 and IPv4 right now: binding `::` is dual stack, so the
 * kernel checks both families. For servers that cannot listen on port 0 and report back (influxd,
 * mosquitto, redis). Another process may take it before the caller binds; the kernel hands ephemeral
 * ports out in sequence, so an immediate reuse is unlikely.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '::', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

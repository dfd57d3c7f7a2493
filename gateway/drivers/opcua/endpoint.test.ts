import net from 'node:net';
import { ClientTCP_transport } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { dialTransports, parseEndpoint } from './endpoint.ts';

describe('parseEndpoint', () => {
  it.each([
    ['opc.tcp://[::1]:4841', '::1', 4841],
    ['opc.tcp://[fd6c:7761:6e67::2]:48010/UA/Server', 'fd6c:7761:6e67::2', 48010],
    ['opc.tcp://127.0.0.1:4840', '127.0.0.1', 4840],
    ['opc.tcp://plc-7.factory.example', 'plc-7.factory.example', 4840],
    ['opc.tcp://plc:80', 'plc', 80],
    ['OPC.TCP://[::1]:1', '::1', 1],
  ])('%s → host %s, port %i', (url, host, port) => {
    expect(parseEndpoint(url)).toEqual({ url, host, port });
  });

  it.each(['opc.tcp://::1:4840', 'http://[::1]:4840', 'opc.tcp://', 'plc:4840'])('refuses %s', (url) => {
    expect(() => parseEndpoint(url)).toThrow(/not an OPC UA endpoint URL/);
  });
});

/** A TCP server that answers the first HEL with an ACK, and records what it received. */
async function fakeServer(host: string) {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', (hello) => {
      received.push(hello);
      const ack = Buffer.alloc(28);
      ack.write('ACKF', 0, 'ascii');
      ack.writeUInt32LE(28, 4);
      ack.writeUInt32LE(0, 8); // protocol version
      ack.writeUInt32LE(65_536, 12); // receive buffer
      ack.writeUInt32LE(65_536, 16); // send buffer
      ack.writeUInt32LE(0, 20); // max message size: no limit
      ack.writeUInt32LE(0, 24); // max chunk count: no limit
      socket.write(ack);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function connect(url: string) {
  const factory = dialTransports(parseEndpoint(url));
  const transport = factory.create();
  transport.timeout = 2_000;
  const done = new Promise<Error | undefined>((resolve) =>
    transport.connect(url, (err) => resolve(err ?? undefined)),
  );
  const close = () => new Promise<void>((resolve) => transport.disconnect(() => resolve()));
  return { factory, transport, done, close };
}

describe('dialTransports', () => {
  it.each([
    ['an IPv6 literal', '::1', (port: number) => `opc.tcp://[::1]:${port}/UA`],
    ['an IPv4 literal', '127.0.0.1', (port: number) => `opc.tcp://127.0.0.1:${port}`],
    ['a host name', '127.0.0.1', (port: number) => `opc.tcp://localhost:${port}`],
  ])('dials %s and completes the HEL/ACK handshake with the URL as written', async (_what, host, url) => {
    const server = await fakeServer(host);
    const c = connect(url(server.port));
    try {
      expect(await c.done).toBeUndefined();
      expect(c.transport.isValid()).toBe(true);
      const hello = server.received[0];
      expect(hello?.subarray(0, 4).toString('ascii')).toBe('HELF');
      expect(hello?.toString('utf8')).toContain(url(server.port));
    } finally {
      await c.close();
      await server.close();
    }
  });

  it('is needed: node-opcua 2.182’s own transport cannot dial an IPv6 literal (remove the workaround when this fails)', async () => {
    const server = await fakeServer('::1');
    const transport = new ClientTCP_transport();
    transport.timeout = 2_000;
    try {
      const err = await new Promise<Error | undefined>((resolve) =>
        transport.connect(`opc.tcp://[::1]:${server.port}`, (e) => resolve(e ?? undefined)),
      );
      expect(err?.message).toMatch(/ENOTFOUND/);
    } finally {
      transport.dispose();
      await server.close();
    }
  });

  it('reports a refused connection', async () => {
    const server = await fakeServer('::1');
    const port = server.port;
    await server.close();
    const c = connect(`opc.tcp://[::1]:${port}`);
    expect((await c.done)?.message).toMatch(/ECONNREFUSED/);
    c.transport.dispose();
  });

  it('destroyAll cuts every open socket', async () => {
    const server = await fakeServer('::1');
    const c = connect(`opc.tcp://[::1]:${server.port}`);
    try {
      await c.done;
      const broken = new Promise<void>((resolve) => c.transport.once('close', () => resolve()));
      c.factory.destroyAll('test');
      await broken;
      expect(c.transport.isValid()).toBe(false);
    } finally {
      c.transport.dispose();
      await server.close();
    }
  });
});

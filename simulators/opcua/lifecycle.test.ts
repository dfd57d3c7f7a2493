import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickDevice } from '../../test/helpers/opcua-devices.ts';
import { freePort } from '../../test/helpers/ports.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { configureNodeOpcuaLogging } from './logging.ts';
import { OpcuaSimServer, startOpcuaServer } from './server.ts';

configureNodeOpcuaLogging({ level: 'silent' });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-opcua-life-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const connects = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('OPC UA simulator lifecycle', () => {
  it('fails to start with the port in the message when the port is taken', async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '::', resolve));
    try {
      const device = tickDevice({ enterprise: 'e', line: 'l', id: 'd', kind: 'conveyor' });
      await expect(
        startOpcuaServer({ devices: [device], port, pkiDir: path.join(dir, 'pki') }),
      ).rejects.toThrow(`could not listen on port ${port}`);
      expect(device.listenerCount('tick')).toBe(0);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('stop() cuts a restart short and releases the port and the devices', async () => {
    const device = tickDevice({ enterprise: 'e', line: 'l', id: 'd', kind: 'conveyor' });
    const server = new OpcuaSimServer({ devices: [device], port: 0, pkiDir: path.join(dir, 'pki') });
    await server.start();
    expect(await connects(server.port)).toBe(true);
    expect(device.listenerCount('tick')).toBe(1);

    // A minute of downtime: the test would time out if stop() waited for it.
    const restarting = server.restart(60_000);
    await waitFor(async () => !(await connects(server.port)), { what: 'the port to close' });
    await server.stop();
    await restarting;
    expect(await connects(server.port)).toBe(false);
    expect(device.listenerCount('tick')).toBe(0);
    expect(device.listenerCount('fault')).toBe(0);
  });
});

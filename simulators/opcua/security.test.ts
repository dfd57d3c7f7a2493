import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AttributeIds,
  DataType,
  type EUInformation,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  type Range,
  StatusCodes,
  UserTokenType,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opcuaNodeId } from '../../config/index.ts';
import {
  child,
  collectChanges,
  connectOpcua,
  type OpcuaTestClient,
  readProperty,
} from '../../test/helpers/opcua-client.ts';
import { tickDevice } from '../../test/helpers/opcua-devices.ts';
import { resetNodeId, stateNodeId } from './address-space.ts';
import { configureNodeOpcuaLogging } from './logging.ts';
import { type OpcuaSim, startOpcuaServer } from './server.ts';

configureNodeOpcuaLogging({ level: 'silent' });

const operator = { username: 'operator', password: 's3cret-操作员' };
const furnace = tickDevice({
  enterprise: 'hebei-steel',
  line: 'hot-strip',
  id: 'furnace-1',
  kind: 'reheating-furnace',
});
const pointId = (name: string) => {
  const p = furnace.device.points.find((x) => x.name === name);
  if (!p) throw new Error(`no point ${name}`);
  return opcuaNodeId(furnace.device, p);
};

let dir: string;
let sim: OpcuaSim;
let ticker: NodeJS.Timeout;
const clients: OpcuaTestClient[] = [];

const connect = async (opts: Omit<Parameters<typeof connectOpcua>[1], 'pkiDir'>) => {
  const c = await connectOpcua(`opc.tcp://127.0.0.1:${sim.port}`, {
    pkiDir: path.join(dir, 'client-pki'),
    ...opts,
  });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-opcua-sec-'));
  sim = await startOpcuaServer({
    devices: [furnace],
    port: 0,
    pkiDir: path.join(dir, 'server-pki'),
    securityModes: ['Sign', 'SignAndEncrypt'],
    users: [operator],
  });
  ticker = setInterval(() => furnace.step(1), 100);
});

afterAll(async () => {
  clearInterval(ticker);
  await Promise.allSettled(clients.map((c) => c.close()));
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('OPC UA simulator security', () => {
  it('generated its application certificate in the PKI directory', async () => {
    const own = path.join(dir, 'server-pki', 'own');
    expect((await stat(path.join(own, 'certs', 'certificate.pem'))).size).toBeGreaterThan(0);
    expect((await stat(path.join(own, 'private', 'private_key.pem'))).size).toBeGreaterThan(0);
  });

  it('offers only secured endpoints and username tokens', async () => {
    const client = OPCUAClient.create({
      endpointMustExist: false,
      clientCertificateManager: new OPCUACertificateManager({
        rootFolder: path.join(dir, 'client-pki'),
        automaticallyAcceptUnknownCertificate: true,
      }),
      connectionStrategy: { maxRetry: 0, initialDelay: 10, maxDelay: 10 },
    });
    await client.connect(`opc.tcp://127.0.0.1:${sim.port}`);
    try {
      const endpoints = await client.getEndpoints();
      expect(new Set(endpoints.map((e) => MessageSecurityMode[e.securityMode]))).toEqual(
        new Set(['Sign', 'SignAndEncrypt']),
      );
      expect(endpoints.map((e) => e.securityPolicyUri)).toContain(
        'http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256',
      );
      const tokens = endpoints.flatMap((e) => e.userIdentityTokens ?? []).map((t) => t.tokenType);
      expect(tokens).toContain(UserTokenType.UserName);
      expect(tokens).not.toContain(UserTokenType.Anonymous);
    } finally {
      await client.disconnect();
    }
  });

  it('Basic256Sha256 SignAndEncrypt with a user: browse, read with EU, subscribe, Reset', async () => {
    const { session } = await connect({
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      user: operator,
    });
    const enterprise = await child(session, 'ns=0;i=85', 'hebei-steel');
    const line = await child(session, enterprise.nodeId.toString(), 'hot-strip');
    const device = await child(session, line.nodeId.toString(), 'furnace-1');
    const zone = await child(session, device.nodeId.toString(), 'heating_temp');
    expect(zone.nodeId.toString()).toBe(pointId('heating_temp'));

    const value = await session.read({ nodeId: pointId('heating_temp'), attributeId: AttributeIds.Value });
    expect(value.statusCode).toBe(StatusCodes.Good);
    expect(value.value.dataType).toBe(DataType.Float);
    const eu = (await readProperty(session, pointId('heating_temp'), 'EngineeringUnits')).value
      .value as EUInformation;
    expect(eu.displayName.text).toBe('°C');
    expect(eu.unitId).toBe(0x43454c); // UNECE "CEL"
    const range = (await readProperty(session, pointId('heating_temp'), 'EURange')).value.value as Range;
    expect(range.high).toBeGreaterThan(range.low);

    const changes = await collectChanges(session, pointId('heating_temp'), 5);
    expect(changes.every((c) => c.statusCode === StatusCodes.Good)).toBe(true);

    expect(furnace.machine).toBe('fault');
    const result = await session.call({
      objectId: device.nodeId,
      methodId: resetNodeId(furnace.device),
      inputArguments: [],
    });
    expect(result.statusCode).toBe(StatusCodes.Good);
    expect(furnace.machine).toBe('idle');
    const state = await session.read({
      nodeId: stateNodeId(furnace.device),
      attributeId: AttributeIds.Value,
    });
    expect(state.value.value).toBe('idle');
  });

  it('also speaks Aes256_Sha256_RsaPss Sign', async () => {
    const { session } = await connect({
      securityMode: 'Sign',
      securityPolicy: 'Aes256_Sha256_RsaPss',
      user: operator,
    });
    const value = await session.read({ nodeId: pointId('heating_temp'), attributeId: AttributeIds.Value });
    expect(value.statusCode).toBe(StatusCodes.Good);
  });

  it('refuses anonymous sessions and wrong passwords', async () => {
    await expect(
      connect({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' }),
      // node-opcua's client already refuses: no endpoint offers an anonymous token.
    ).rejects.toThrow(/ANONYMOUS user token|BadIdentityToken/);
    await expect(
      connect({
        securityMode: 'SignAndEncrypt',
        securityPolicy: 'Basic256Sha256',
        user: { username: operator.username, password: 'wrong' },
      }),
    ).rejects.toThrow(/BadUserAccessDenied|BadIdentityToken/);
  });
});

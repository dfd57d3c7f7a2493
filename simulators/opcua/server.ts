/**
 * The OPC UA server of the machine simulators: one node-opcua server (≈130 MB just to load) hosts
 * every simulated machine as an object under `Objects/<enterprise>/<line>/<device>`.
 *
 * `restart(downMs)` mimics the serving process restarting: every connection, session and subscription
 * is dropped, and after `downMs` a new server serves the same address space with the same PKI on the
 * same port; clients must reconnect and recreate their sessions. (The runtime's FaultController turns a
 * 'restart' fault into this call.)
 */
import { isIP } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { CallRequest, OPCUAServer, ReadRequest, type Request, WriteRequest } from 'node-opcua';
import type { SimDevice } from '../device.ts';
import { addDevices, type DeviceTree, type OpcuaLog } from './address-space.ts';
import './logging.ts';
import {
  certificateManagers,
  DEFAULT_SECURITY_MODES,
  DEFAULT_SECURITY_POLICIES,
  endpointSecurity,
  type SecurityModeName,
  type SecurityPolicyName,
  type UserCredentials,
  userManager,
} from './security.ts';

/** The namespace URI of ns=1 (node-opcua names the own namespace after the application URI). */
export const SIMULATOR_NAMESPACE_URI = 'urn:lianwang:simulator:opcua';

export interface OpcuaSimOptions {
  devices: readonly SimDevice[];
  /** TCP port; 0 picks an ephemeral one (kept across restarts). Default 4840. */
  port?: number;
  /**
   * Listen address. Default: node-opcua's, `::` when the host has IPv6 (dual stack: IPv4 clients
   * connect too), else 0.0.0.0.
   */
  host?: string;
  /** Host name advertised in endpoint URLs and put into the certificate. Default: the machine's FQDN. */
  hostname?: string;
  /** Directory of the server's PKI; created, with a self-signed certificate, on first start. */
  pkiDir: string;
  /** Default None, Sign and SignAndEncrypt. */
  securityModes?: readonly SecurityModeName[];
  /** Policies for Sign/SignAndEncrypt. Default Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss. */
  securityPolicies?: readonly SecurityPolicyName[];
  /** Accepted username/password pairs. */
  users?: readonly UserCredentials[];
  /** Anonymous sessions allowed. Default: true when no users are given, else false. */
  allowAnonymous?: boolean;
  /** Trust any client certificate (a simulator need not be provisioned). Default true. */
  trustUnknownClients?: boolean;
  /** Appended to the endpoint URL, e.g. "/UA/lianwang". Default none. */
  resourcePath?: string;
  /** Concurrent sessions (and connections) allowed. Default 100. */
  maxSessions?: number;
  /** Problems the server survives (a model error on tick, a failed write). Default console.warn. */
  log?: OpcuaLog;
}

export interface OpcuaSim {
  /** The port the server listens on (the ephemeral one when 0 was asked). */
  readonly port: number;
  /** opc.tcp://<hostname>:<port><resourcePath>, IPv6 literals bracketed. */
  readonly endpointUrl: string;
  stop(): Promise<void>;
  /** Drops every connection, stays down `downMs` (default 1000), then serves the same nodes again. */
  restart(downMs?: number): Promise<void>;
}

const defaultLog: OpcuaLog = (message, error) => console.warn(`simulators:opcua ${message}`, error ?? '');

export class OpcuaSimServer implements OpcuaSim {
  readonly #opts: OpcuaSimOptions;
  readonly #log: OpcuaLog;
  #server: OPCUAServer | undefined;
  #tree: DeviceTree | undefined;
  #port: number;
  #endpointUrl = '';
  /** Serializes start/stop/restart. */
  #queue: Promise<void> = Promise.resolve();
  #stopping = new AbortController();

  constructor(opts: OpcuaSimOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? defaultLog;
    this.#port = opts.port ?? 4840;
  }

  get port(): number {
    return this.#port;
  }

  get endpointUrl(): string {
    return this.#endpointUrl;
  }

  start(): Promise<void> {
    return this.#serialize(async () => {
      this.#stopping = new AbortController();
      await this.#prepare();
      await this.#listen();
    });
  }

  stop(): Promise<void> {
    this.#stopping.abort();
    return this.#serialize(() => this.#shutdown());
  }

  restart(downMs = 1000): Promise<void> {
    return this.#serialize(async () => {
      if (this.#stopping.signal.aborted) return;
      await this.#shutdown();
      // The next server is built while this one is down (≈1 s for 5,000 variables), so the outage
      // lasts max(downMs, build time), not their sum. stop() cuts the downtime short.
      await Promise.all([
        this.#prepare(),
        delay(downMs, undefined, { signal: this.#stopping.signal }).catch(() => undefined),
      ]);
      if (this.#stopping.signal.aborted) await this.#shutdown();
      else await this.#listen();
    });
  }

  #serialize(op: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(op);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Builds a server with the whole address space, not listening yet. */
  async #prepare(): Promise<void> {
    const o = this.#opts;
    const users = o.users ?? [];
    const server = new OPCUAServer({
      port: this.#port,
      ...(o.host === undefined ? {} : { host: o.host }),
      ...(o.hostname === undefined ? {} : { hostname: o.hostname }),
      ...(o.resourcePath === undefined ? {} : { resourcePath: o.resourcePath }),
      ...endpointSecurity(
        o.securityModes ?? DEFAULT_SECURITY_MODES,
        o.securityPolicies ?? DEFAULT_SECURITY_POLICIES,
      ),
      allowAnonymous: o.allowAnonymous ?? users.length === 0,
      ...(users.length > 0 ? { userManager: userManager(users) } : {}),
      ...(await certificateManagers(o.pkiDir, o.trustUnknownClients ?? true)),
      serverInfo: {
        applicationUri: SIMULATOR_NAMESPACE_URI,
        productUri: 'lianwang-simulator',
        applicationName: { text: 'lianwang machine simulator' },
      },
      buildInfo: { productName: 'lianwang machine simulator', manufacturerName: 'lianwang' },
      serverCapabilities: { maxSessions: o.maxSessions ?? 100 },
      maxConnectionsPerEndpoint: o.maxSessions ?? 100,
      isAuditing: false,
    });
    this.#server = server;
    try {
      await server.initialize();
      const addressSpace = server.engine.addressSpace;
      if (!addressSpace) throw new Error('node-opcua server has no address space after initialize()');
      const tree = addDevices(addressSpace, o.devices, this.#log);
      this.#tree = tree;
      server.on('request', (request) => countServed(request, tree));
    } catch (err) {
      await this.#shutdown().catch(() => undefined);
      throw new Error('OPC UA simulator could not build its address space', { cause: err });
    }
  }

  async #listen(): Promise<void> {
    const server = this.#server;
    if (!server) throw new Error('OPC UA simulator: nothing to listen with');
    try {
      await server.start();
    } catch (err) {
      await this.#shutdown().catch(() => undefined);
      throw new Error(`OPC UA simulator could not listen on port ${this.#port}`, { cause: err });
    }
    this.#port = server.endpoints[0]?.port ?? this.#port;
    this.#endpointUrl = bracketed(server.getEndpointUrl());
  }

  async #shutdown(): Promise<void> {
    for (const nodes of this.#tree?.nodes ?? []) nodes.dispose();
    this.#tree = undefined;
    const server = this.#server;
    this.#server = undefined;
    // 0: drop connections at once, as a crashing or restarting process would.
    await server?.shutdown(0);
  }
}

/** Starts a server for `opts.devices`; resolves once it listens. */
export async function startOpcuaServer(opts: OpcuaSimOptions): Promise<OpcuaSim> {
  const server = new OpcuaSimServer(opts);
  await server.start();
  return server;
}

/** Read, Write and Call requests count once per device they touch in `SimDevice.served`. */
function countServed(request: Request, tree: DeviceTree): void {
  let ids;
  if (request instanceof ReadRequest) ids = request.nodesToRead?.map((r) => r.nodeId);
  else if (request instanceof WriteRequest) ids = request.nodesToWrite?.map((w) => w.nodeId);
  else if (request instanceof CallRequest) ids = request.methodsToCall?.map((c) => c.objectId);
  if (!ids) return;
  const touched = new Set<SimDevice>();
  for (const id of ids) {
    const device = tree.deviceOf(id);
    if (device) touched.add(device);
  }
  for (const device of touched) device.served++;
}

/** node-opcua writes IPv6 literals into endpoint URLs without brackets (opc.tcp://::1:4840). */
function bracketed(url: string): string {
  const m = /^opc\.tcp:\/\/(.+):(\d+)(\/.*)?$/.exec(url);
  if (!m?.[1] || isIP(m[1]) !== 6) return url;
  return `opc.tcp://[${m[1]}]:${m[2]}${m[3] ?? ''}`;
}

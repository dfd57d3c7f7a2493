/**
 * A real node-opcua client for tests against the OPC UA simulator: its own PKI in a test directory
 * (never ~/.config), trusting the server's self-signed certificate, reconnecting quickly.
 */
import {
  AttributeIds,
  BrowseDirection,
  type ClientSession,
  type DataValue,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  type ReferenceDescription,
  SecurityPolicy,
  TimestampsToReturn,
  UserTokenType,
} from 'node-opcua';
import { waitFor } from './wait.ts';

export interface OpcuaTestClient {
  client: OPCUAClient;
  session: ClientSession;
  /** Closes the session (if still open) and disconnects. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** The client's own PKI folder (created on first use). */
  pkiDir: string;
  securityMode?: keyof typeof MessageSecurityMode;
  securityPolicy?: 'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';
  user?: { username: string; password: string };
  /** Connection attempts before giving up, also after a connection breaks. Default 100 (≈ 50 s). */
  maxRetry?: number;
}

/** Connects and opens a session; on failure disconnects and rethrows. */
export async function connectOpcua(endpointUrl: string, opts: ConnectOptions): Promise<OpcuaTestClient> {
  const clientCertificateManager = new OPCUACertificateManager({
    rootFolder: opts.pkiDir,
    automaticallyAcceptUnknownCertificate: true,
  });
  const client = OPCUAClient.create({
    applicationName: 'lianwang-test-client',
    applicationUri: 'urn:lianwang:test-client',
    securityMode: MessageSecurityMode[opts.securityMode ?? 'None'],
    securityPolicy: SecurityPolicy[opts.securityPolicy ?? 'None'],
    endpointMustExist: false,
    clientCertificateManager,
    connectionStrategy: { initialDelay: 100, maxDelay: 500, maxRetry: opts.maxRetry ?? 100 },
    requestedSessionTimeout: 30_000,
  });
  try {
    await client.connect(endpointUrl);
    const session = await client.createSession(
      opts.user
        ? { type: UserTokenType.UserName, userName: opts.user.username, password: opts.user.password }
        : { type: UserTokenType.Anonymous },
    );
    return {
      client,
      session,
      async close() {
        await session.close().catch(() => undefined);
        await client.disconnect();
      },
    };
  } catch (err) {
    await client.disconnect().catch(() => undefined);
    throw err;
  }
}

/** The forward hierarchical references of a node (Organizes, HasComponent, HasProperty, …). */
export async function children(session: ClientSession, nodeId: string): Promise<ReferenceDescription[]> {
  const result = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: 'HierarchicalReferences',
    includeSubtypes: true,
    resultMask: 63,
  });
  return result.references ?? [];
}

/** The child whose browse name is `name` (namespace ignored), or a descriptive error. */
export async function child(
  session: ClientSession,
  nodeId: string,
  name: string,
): Promise<ReferenceDescription> {
  const refs = await children(session, nodeId);
  const found = refs.find((r) => r.browseName.name === name);
  if (!found)
    throw new Error(`${nodeId} has no child ${name}: ${refs.map((r) => r.browseName.name).join(', ')}`);
  return found;
}

/** Reads the value of a property (EngineeringUnits, EURange, …) of a variable. */
export async function readProperty(
  session: ClientSession,
  variable: string,
  name: string,
): Promise<DataValue> {
  const ref = await child(session, variable, name);
  return session.read({ nodeId: ref.nodeId, attributeId: AttributeIds.Value });
}

/** Subscribes to `nodeId` (exception-based) until `count` notifications arrived; returns them. */
export async function collectChanges(
  session: ClientSession,
  nodeId: string,
  count: number,
  timeoutMs = 10_000,
): Promise<DataValue[]> {
  const subscription = await session.createSubscription2({
    requestedPublishingInterval: 50,
    requestedMaxKeepAliveCount: 20,
    requestedLifetimeCount: 200,
    publishingEnabled: true,
  });
  const changes: DataValue[] = [];
  try {
    const item = await subscription.monitor(
      { nodeId, attributeId: AttributeIds.Value },
      { samplingInterval: 0, queueSize: 10, discardOldest: true },
      TimestampsToReturn.Both,
    );
    item.on('changed', (dv: DataValue) => changes.push(dv));
    await waitFor(() => changes.length >= count, { what: `${count} changes of ${nodeId}`, timeoutMs });
    return changes;
  } finally {
    await subscription.terminate();
  }
}

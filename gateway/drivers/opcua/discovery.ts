/**
 * The server certificate of a secured endpoint, fetched through the gateway's own dialler.
 *
 * node-opcua fetches it itself before a secured connect, but through a temporary client that ignores
 * the `transportFactory` option, so it cannot reach an IPv6 literal (endpoint.ts). GetEndpoints is
 * answered on a None channel by every server (the discovery services need no security); the caller
 * verifies the certificate (trust.ts) and gives it to the client up front.
 */
import { MessageSecurityMode, type OPCUACertificateManager, OPCUAClient, SecurityPolicy } from 'node-opcua';
import type { DialTransports, OpcuaEndpoint } from './endpoint.ts';

export type SecurityModeName = 'None' | 'Sign' | 'SignAndEncrypt';
export type SecurityPolicyName = 'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';

export interface DiscoveryOptions {
  endpoint: OpcuaEndpoint;
  securityMode: Exclude<SecurityModeName, 'None'>;
  securityPolicy: SecurityPolicyName;
  certificateManager: OPCUACertificateManager;
  transports: DialTransports;
  transportTimeoutMs: number;
  transactionTimeoutMs: number;
}

/** The certificate (DER) of the endpoint with this mode and policy; throws if the server offers none. */
export async function fetchServerCertificate(o: DiscoveryOptions): Promise<Buffer> {
  const discovery = OPCUAClient.create({
    applicationName: 'lianwang-gateway',
    clientName: `lianwang discovery ${o.endpoint.url}`,
    endpointMustExist: false,
    clientCertificateManager: o.certificateManager,
    transportFactory: o.transports,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 100 },
    transportTimeout: o.transportTimeoutMs,
    defaultTransactionTimeout: o.transactionTimeoutMs,
  });
  let endpoints;
  try {
    await discovery.connect(o.endpoint.url);
    endpoints = await discovery.getEndpoints();
  } finally {
    await discovery.disconnect().catch(() => undefined);
  }
  const mode = MessageSecurityMode[o.securityMode];
  const policy = SecurityPolicy[o.securityPolicy];
  const match = endpoints.find((e) => e.securityMode === mode && e.securityPolicyUri === policy);
  if (!match) {
    const offered = endpoints.map(
      (e) => `${MessageSecurityMode[e.securityMode]}/${e.securityPolicyUri?.split('#')[1] ?? '?'}`,
    );
    throw new Error(
      `server offers no ${o.securityMode}/${o.securityPolicy} endpoint (offers ${[...new Set(offered)].join(', ')})`,
    );
  }
  const certificate = match.serverCertificate;
  if (!certificate?.length) throw new Error('the server sent no certificate for a secured endpoint');
  return certificate;
}

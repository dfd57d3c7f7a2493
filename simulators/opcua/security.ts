/**
 * Endpoint security of the simulator: which modes and policies it offers, its PKI, and its users.
 *
 * The PKI lives in `pkiDir` (node-opcua's layout: own/certs/certificate.pem, own/private/private_key.pem,
 * trusted/, rejected/, issuers/; user-pki/ for X.509 user tokens, unused). On first start node-opcua creates a self-signed application
 * certificate there, offline (pure JS, no openssl; well under a second here), and reuses it afterwards.
 * Client certificates are trusted automatically unless `trustUnknownClients` is false; then copy a
 * client's certificate from `<pkiDir>/rejected/` to `<pkiDir>/trusted/certs/` to trust it.
 */
import { timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { MessageSecurityMode, OPCUACertificateManager, SecurityPolicy } from 'node-opcua';
import type { SECURITY_MODES, SECURITY_POLICIES } from '../../config/model/connectivity.ts';

export type SecurityModeName = (typeof SECURITY_MODES)[number];
/** The policies a secured endpoint may use (never None, never the RSA-15 ones Node 20 refuses). */
export type SecurityPolicyName = Exclude<(typeof SECURITY_POLICIES)[number], 'None'>;

export interface UserCredentials {
  username: string;
  password: string;
}

export const DEFAULT_SECURITY_MODES: readonly SecurityModeName[] = ['None', 'Sign', 'SignAndEncrypt'];
export const DEFAULT_SECURITY_POLICIES: readonly SecurityPolicyName[] = [
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
];

/**
 * node-opcua endpoint options: it offers each mode with each policy and drops the mismatched pairs
 * (None mode goes only with the None policy, Sign/SignAndEncrypt only with the others).
 */
export function endpointSecurity(
  modes: readonly SecurityModeName[],
  policies: readonly SecurityPolicyName[],
): { securityModes: MessageSecurityMode[]; securityPolicies: SecurityPolicy[] } {
  if (modes.length === 0) throw new Error('OPC UA server needs at least one security mode');
  const secured = modes.some((m) => m !== 'None');
  if (secured && policies.length === 0)
    throw new Error('Sign/SignAndEncrypt need at least one security policy');
  return {
    securityModes: modes.map((m) => MessageSecurityMode[m]),
    securityPolicies: [
      ...(modes.includes('None') ? [SecurityPolicy.None] : []),
      ...(secured ? policies.map((p) => SecurityPolicy[p]) : []),
    ],
  };
}

/**
 * The server's certificate managers over `pkiDir`, fresh per server start (shutdown disposes them).
 * The user one (X.509 user tokens, which the simulator does not accept) must be given too: node-opcua's
 * default would put a PKI into ~/.config/node-opcua-default-nodejs/UserPKI.
 */
export async function certificateManagers(
  pkiDir: string,
  trustUnknownClients: boolean,
): Promise<{
  serverCertificateManager: OPCUACertificateManager;
  userCertificateManager: OPCUACertificateManager;
}> {
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: pkiDir,
    automaticallyAcceptUnknownCertificate: trustUnknownClients,
  });
  const userCertificateManager = new OPCUACertificateManager({
    rootFolder: path.join(pkiDir, 'user-pki'),
    automaticallyAcceptUnknownCertificate: false,
  });
  await serverCertificateManager.initialize();
  return { serverCertificateManager, userCertificateManager };
}

/** node-opcua userManager accepting exactly these username/password pairs. */
export function userManager(users: readonly UserCredentials[]): {
  isValidUser: (username: string, password: string) => boolean;
} {
  return {
    isValidUser: (username, password) =>
      users.some((u) => u.username === username && sameSecret(u.password, password)),
  };
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

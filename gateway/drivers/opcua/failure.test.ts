import { describe, expect, it } from 'vitest';
import { describeFailure } from './failure.ts';

describe('describeFailure', () => {
  it.each([
    [
      new Error(
        'The connection cannot be established with server opc.tcp://[::1]:4840 .\nPlease check that the server is up and running or your network configuration.\nErr = (connect ECONNREFUSED ::1:4840)',
      ),
      'connect failed: ECONNREFUSED',
    ],
    [new Error('getaddrinfo ENOTFOUND plc-7'), 'connect failed: ENOTFOUND'],
    [
      new Error(
        'The connection may have been rejected by server,\n Err = (Timeout(A) in waiting for data on socket(timeout was = 5000 ms))',
      ),
      'connect failed: timeout',
    ],
    [new Error('Error: BadUserAccessDenied (0x801f0000)'), 'BadUserAccessDenied'],
    [
      new Error('server offers no SignAndEncrypt/Aes256_Sha256_RsaPss endpoint (offers None/None)'),
      'server offers no SignAndEncrypt/Aes256_Sha256_RsaPss endpoint (offers None/None)',
    ],
    ['plain string', 'plain string'],
    [new Error(''), 'unknown error'],
  ])('%s → %s', (err, reason) => {
    expect(describeFailure(err)).toBe(reason);
  });

  it('keeps reasons short', () => {
    expect(describeFailure(new Error('x'.repeat(500))).length).toBeLessThanOrEqual(160);
  });
});

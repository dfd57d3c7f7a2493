import { afterEach, describe, expect, it, vi } from 'vitest';
import { requireBinary } from './binaries.ts';
import { ServerSlot } from './servers.ts';

const absent = { name: 'lianwang-no-such-binary', installHint: 'apt-get install -y lianwang-nothing' };
const message = "lianwang-no-such-binary not found: install it with 'apt-get install -y lianwang-nothing'";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('requireBinary', () => {
  it('finds a binary on PATH', () => {
    const found = requireBinary('sh', 'apt-get install -y dash');
    expect(found.found).toBe(true);
    expect(found.found && found.path).toMatch(/\/sh$/);
  });

  it('outside CI, reports a missing binary with the install command', () => {
    vi.stubEnv('CI', '');
    expect(requireBinary(absent.name, absent.installHint)).toEqual({ found: false, message });
  });

  it('under CI=true, throws with the install command', () => {
    vi.stubEnv('CI', 'true');
    expect(() => requireBinary(absent.name, absent.installHint)).toThrow(message);
  });
});

describe('ServerSlot with a missing binary', () => {
  const start = vi.fn(() => Promise.resolve({ stop: () => Promise.resolve() }));
  const skipped = (note: string): never => {
    throw new Error(`skipped: ${note}`);
  };

  it('outside CI, never starts the server and skips the test with the install command', async () => {
    vi.stubEnv('CI', 'false');
    const slot = new ServerSlot(start, absent);
    await slot.open();
    expect(() => slot.get({ skip: skipped })).toThrow(`skipped: ${message}`);
    expect(start).not.toHaveBeenCalled();
    await slot.close();
  });

  it('under CI=true, fails open() (beforeAll) with the install command', async () => {
    vi.stubEnv('CI', 'true');
    const slot = new ServerSlot(start, absent);
    await expect(slot.open()).rejects.toThrow(message);
    expect(start).not.toHaveBeenCalled();
  });
});

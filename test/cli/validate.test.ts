import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', ['bin/lianwang.js', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

describe('the lianwang command', () => {
  it('--help lists every command', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const c of ['validate', 'sim', 'gateway', 'cloud', 'demo'])
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('validate exits 0 for the example plants', async () => {
    const r = await run('validate', 'config/plants/demo.yaml', 'config/plants/hebei.yaml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('config/plants/demo.yaml: ok — 3 enterprises, 40 ledger devices');
  });

  it('validate exits 1 and prints every error with file:line:column and path', async () => {
    const r = await run('validate', 'config/plants/demo.yaml', 'test/fixtures/config/broken.yaml');
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe('test/fixtures/config/broken.yaml: 9 error(s)');
    expect(lines.slice(0, -1)).toHaveLength(9);
    for (const l of lines.slice(0, -1))
      expect(l).toMatch(/^test\/fixtures\/config\/broken\.yaml:\d+:\d+ \S+: /);
  });

  it('validate names a missing file; unknown commands and bad flags exit 2', async () => {
    const missing = await run('validate', 'nope.yaml');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.yaml:1:1 (root): cannot read file (ENOENT)');
    expect((await run('frobnicate')).code).toBe(2);
    const help = await run('demo', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--no-faults');
    const bad = await run('demo', '--port', 'eighty');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--port must be a port 0–65535, got "eighty"');
  });
});

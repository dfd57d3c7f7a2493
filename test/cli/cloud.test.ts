import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const run = async (...args: string[]) => {
  try {
    const r = await exec(process.execPath, ['bin/lianwang.js', 'cloud', ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

describe('lianwang cloud', () => {
  it('--help prints every option', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const flag of [
      '--broker',
      '--influx',
      '--plant',
      '--role',
      '--share-group',
      '--client-id',
      '--width',
      '--snapshot-every',
    ])
      expect(r.stdout).toContain(flag);
  });

  it('refuses bad flags with exit 2 and a reason', async () => {
    const cases: [string[], string][] = [
      [['--role', 'boss'], '--role'],
      [['--share-group', 'g'], '--protocol 5'],
      [['--width', '10ms'], '--width'],
      [['--snapshot-every', '10ms'], '--snapshot-every'],
      [['--frobnicate'], 'frobnicate'],
    ];
    for (const [args, why] of cases) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(why);
    }
  });

  it('names the file and line of a broken plant, exit 1', async () => {
    const r = await run('--plant', 'test/fixtures/config/broken.yaml', '--port', '0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.yaml:\d+:\d+ /);
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { influxdBinary, startInfluxd } from '../helpers/influxd.ts';
import { startProcess } from '../helpers/process.ts';
import { useServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';

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

const influxd = useServer(startInfluxd, influxdBinary);

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
      '--retention',
    ])
      expect(r.stdout).toContain(flag);
  });

  it('refuses bad flags with exit 2 and a reason', async () => {
    const cases: [string[], string][] = [
      [['--role', 'boss'], '--role'],
      [['--share-group', 'g'], '--protocol 5'],
      [['--width', '10ms'], '--width'],
      [['--snapshot-every', '10ms'], '--snapshot-every'],
      [['--retention', '30m'], '--retention: retention "30m" is shorter than 1h'],
      [['--retention', '90 days'], '--retention: invalid InfluxDB retention duration "90 days"'],
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

  it('--retention 30d becomes the InfluxDB retention policy', async (ctx) => {
    const server = influxd.get(ctx);
    const data = await mkdtemp(path.join(tmpdir(), 'lianwang-cli-retention-'));
    // No broker on port 1: the store is opened (and its policy set) before ingest connects.
    const cloud = startProcess('lianwang cloud', process.execPath, [
      'bin/lianwang.js',
      'cloud',
      ...['--influx', `${server.url}/cli_retention`, '--retention', '30d', '--broker', 'mqtt://[::1]:1'],
      ...['--plant', 'test/fixtures/plants/oracle.yaml', '--port', '0', '--data', data, '--static', data],
    ]);
    ctx.onTestFinished(async () => {
      await cloud.stop();
      await rm(data, { recursive: true, force: true });
    });
    const policy = async (): Promise<unknown[] | undefined> => {
      const res = await fetch(`${server.url}/query`, {
        method: 'POST',
        body: new URLSearchParams({ q: 'SHOW RETENTION POLICIES ON "cli_retention"' }),
      });
      const body = (await res.json()) as { results: { series?: { values: unknown[][] }[] }[] };
      return body.results[0]?.series?.[0]?.values.find((row) => row[0] === 'lianwang');
    };
    await waitFor(async () => (await policy()) !== undefined, {
      what: `the lianwang retention policy (cloud output: ${cloud.tail()})`,
      timeoutMs: 20_000,
    });
    // name, duration, shard group duration, replicas, default
    expect((await policy())?.slice(0, 2)).toEqual(['lianwang', '720h0m0s']);
    expect((await policy())?.[4]).toBe(true);
  });
});

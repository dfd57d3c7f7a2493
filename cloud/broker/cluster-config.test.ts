import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatError } from '../../config/index.ts';
import { parseRedisUrl, redisLabel } from './cluster-config.ts';
import { brokerOptions, loadBrokerFile } from './config.ts';

describe('redis URL', () => {
  it('takes IPv6 literals without their brackets (what a socket wants)', () => {
    expect(parseRedisUrl('redis://[::1]:6390')).toEqual({
      host: '::1',
      port: 6390,
      db: 0,
      tls: false,
      username: undefined,
    });
    expect(parseRedisUrl('rediss://broker@[fd6c:7761:6e67::5]/3')).toEqual({
      host: 'fd6c:7761:6e67::5',
      port: 6379,
      db: 3,
      tls: true,
      username: 'broker',
    });
    expect(parseRedisUrl('redis://redis.plant.example:6380')).toMatchObject({ host: 'redis.plant.example' });
  });

  it('labels without credentials, brackets put back', () => {
    const e = parseRedisUrl('rediss://broker@[fd6c:7761:6e67::5]:6380/3');
    if (typeof e === 'string') throw new Error(e);
    expect(redisLabel(e)).toBe('rediss://broker@[fd6c:7761:6e67::5]:6380/3');
  });

  it.each([
    ['redis://:secret@[::1]:6379', /must not carry a password/],
    ['redis://u:secret@host', /must not carry a password/],
    ['http://[::1]:6379', /expected redis:\/\//],
    ['redis://[::1]:6379/16', /database number/],
    ['redis://[::1]:6379/x', /database number/],
    ['redis://[::1]:6379?family=6', /query/],
    ['::1:6379', /expected redis:\/\/|not a URL/],
  ])('refuses %s', (url, problem) => {
    expect(parseRedisUrl(url)).toMatch(problem);
  });
});

describe('broker file cluster section', () => {
  it('maps to startEmbeddedBroker options, the password from its file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-cluster-config-'));
    try {
      await writeFile(path.join(dir, 'redis.pw'), 'p4ss\n');
      const file = path.join(dir, 'broker.yaml');
      await writeFile(
        file,
        [
          'identities:',
          '  - { name: ops, role: custom, subscribe: ["#"], passwordHash: "$scrypt$N=16384,r=8,p=1$3WlcvMxi19ZDf9NcZUGTKA==$4nGM1pXzbDzgISncMj6bHVCJDxIb0DeADGhmisRoL0s=" }',
          'cluster:',
          '  redis: redis://[::1]:6379/2',
          '  passwordFile: redis.pw',
          '  heartbeat: 5s',
        ].join('\n'),
      );
      const r = await loadBrokerFile(file);
      if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
      expect((await brokerOptions(r.value, file)).cluster).toEqual({
        redis: 'redis://[::1]:6379/2',
        password: 'p4ss',
        heartbeatIntervalMs: 5_000,
        maxSessionDelivery: 100_000,
      });

      await writeFile(file, 'identities: []\ncluster:\n  redis: redis://:pw@[::1]:6379\n');
      const bad = await loadBrokerFile(file);
      expect(bad.ok).toBe(false);
      if (!bad.ok)
        expect(bad.errors.map(formatError).join('\n')).toMatch(/cluster\.redis.*must not carry a password/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

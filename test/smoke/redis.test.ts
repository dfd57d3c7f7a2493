import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { redisBinary, startRedis } from '../helpers/redis.ts';
import { useServer } from '../helpers/servers.ts';

const redis = useServer(startRedis, redisBinary);

it('redis-server: SET then GET over redis://[::1]', async (ctx) => {
  const { url } = redis.get(ctx);
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await client.connect();
    expect(client.stream.remoteAddress).toBe('::1');
    expect(await client.set('lianwang:smoke', 'press-3 online')).toBe('OK');
    expect(await client.get('lianwang:smoke')).toBe('press-3 online');
  } finally {
    client.disconnect();
  }
});

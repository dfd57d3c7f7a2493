// aedes-persistence-redis ships no types: the part cluster.ts uses.
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';

  interface RedisPersistenceOptions {
    /** An open connection to use instead of one built from ioredis options. */
    conn?: Redis;
    /** Queued messages read per client CONNECT (default 1000). */
    maxSessionDelivery?: number;
    /** Seconds a queued message lives (default: for ever). */
    packetTTL?: (packet: unknown) => number;
  }

  interface RedisPersistence {
    /** Unsubscribes from the broker and disconnects its connection. */
    destroy(): Promise<void>;
  }

  function persistenceRedis(opts?: RedisPersistenceOptions): RedisPersistence;
  export = persistenceRedis;
}

/** `lianwang broker` usage: shown by `--help` (kept apart so the CLI's help needs no broker imports). */
export const BROKER_USAGE = `lianwang broker --config <broker.yaml> [options]   (example: cloud/broker/broker.example.yaml)
lianwang broker --port 1883 [--host ::] [--redis url]   (open: no access control)
lianwang broker hash-password < password-file

  --config file              listeners, TLS, identities and their topic rules; cluster: section
  --host addr, --port n      the plain MQTT listener (overrides the file's; open broker: default ::1, 1883)
  --redis url                cluster node: share this Redis with the other nodes (mqemitter-redis +
                             aedes-persistence-redis), e.g. redis://[::1]:6379 or rediss://user@host:6380/2;
                             password from LIANWANG_REDIS_PASSWORD or --redis-password-file
  --heartbeat 10s            cluster: node heartbeat; a node silent for 3 is dead and its clients' Wills go out`;

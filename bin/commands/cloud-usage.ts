/** `lianwang cloud` options: shown by `--help` (kept apart so the CLI's help needs no cloud imports). */
export const CLOUD_USAGE = `lianwang cloud --plant <plant.yaml> [options]

  --broker url          MQTT broker (default mqtt://[::1]:1883; mqtts:// with --ca/--cert/--key)
  --protocol 4|5        MQTT 3.1.1 (aedes, default) or 5 (mosquitto: needed for --share-group)
  --username name       MQTT user; the password from LIANWANG_MQTT_PASSWORD or --password-file
  --plant file          plant file(s) with the ledger (repeatable)
  --influx url          InfluxDB 1.x, e.g. http://[::1]:8086/lianwang (default: embedded DuckDB);
                        user in the URL, password from LIANWANG_INFLUX_PASSWORD or --influx-password-file
  --data dir            data directory: embedded store, ledger edits (default ./data/cloud)
  --retention 90d       how long data is kept: 30d, 2w, 1d12h, … (at least 1h) or INF = forever;
                        InfluxDB's retention policy, or the embedded store deletes older rows hourly
  --bind addr           HTTP API address (default ::), --port n (default 8080; 0 = any)
  --tls-cert file       serve the API over HTTPS: certificate chain (PEM), with --tls-key file (PEM)
  --role r              all (default) | tracker | worker (docs/scaling.md)
  --share-group g       workers: receive DATA through $share/g/… (MQTT 5)
  --client-id id        MQTT client id (persistent session): unique per worker, stable across restarts
  --host-id id          Sparkplug host id for STATE (default lianwang)
  --width 60s           bucket width w; --theta 0.5 online-fraction threshold; --target 0.5
  --snapshot-every 5m   write the availability snapshot restarts start from (and on stop); 0 = never
  --static dir          serve this directory at / instead of the dashboard (built on first start)
  Tokens: LIANWANG_READ_TOKEN / LIANWANG_ADMIN_TOKEN, or --read-token-file / --admin-token-file.`;

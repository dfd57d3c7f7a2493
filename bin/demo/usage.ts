/** The demo's options, here so `lianwang --help` can show them without loading the demo. */
export const DEMO_USAGE = `lianwang demo [options]   (npm start)

Runs the simulated plant, an embedded MQTT broker, one edge gateway per enterprise and the
cloud with its dashboard on this machine, plays a scripted fault timeline and shows a live
summary. Ctrl-C stops everything (twice: at once). docs/demo.md explains what you see.

  --plant file        plant file (default config/plants/demo.yaml)
  --data dir          store, gateway buffers and files, PKI, demo.log (default data/demo)
  --influx url        InfluxDB 1.x instead of the embedded store, e.g. http://[::1]:8086/lianwang
  --port n            dashboard and API port on [::] (default 8080; 0 = any; busy → any)
  --broker-port n     MQTT broker port on [::1] (default 1883; 0 = any; busy → any)
  --timeline file     fault timeline (default config/demo/timeline.yaml)
  --no-faults         no fault timeline: a steady plant`;

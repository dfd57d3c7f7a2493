/**
 * Scripted Sparkplug traffic for the dashboard test, on the rate-oracle plant
 * (test/fixtures/plants/oracle.yaml): 24 hours of one-minute samples delivered as historical
 * DDATA, so the default 24 h window has distinct, hand-checkable rates and every offline
 * reason appears.
 *
 *   e1 (一号钢铁, c1, steel, leading): a1 online all day and live; a2 all day until DDEATH
 *     20 min ago (device unreachable); a3 only the last 6 h (not networked); a4 never heard
 *     (never connected); m1 non-digital, no gateway.            → 2 of 4 digital = 50.0%
 *   e2 (二号制药, c2, pharma, leading): b1 all day, b2 10 h, b3 2 h, then the gateway's NDEATH
 *     (gateway down); b4 no gateway.                             → 1 of 4 = 25.0%
 *   province: 3 of 8 = 37.5%, target met 1 of 2. A device `ghost` on gw1 is not in the ledger.
 *
 * `fillA3()` is the "new data after load": a3's buffered earlier 18 hours, which makes it
 * networked (e1 → 75.0%, province → 50.0%).
 */
import type { MqttClient } from 'mqtt';
import type { Cloud } from '../../cloud/app.ts';
import { decodePayload, SparkplugType as T } from '../../wire/sparkplug/index.ts';
import { EdgeScript, type Frame } from '../helpers/sparkplug-frames.ts';
import { waitFor } from '../helpers/wait.ts';

export const W = 60_000;
const DAY_BUCKETS = 1440;
const CHUNK = 240;

type Sample = { metric: string; time: number; value: number };

function temp(device: string, time: number): number {
  const phase = device.charCodeAt(0) + device.charCodeAt(1);
  return Math.round((820 + 25 * Math.sin(time / 600_000 + phase) + 6 * Math.sin(time / 97_000)) * 10) / 10;
}

/** Frames carrying one sample per bucket in [fromB, toB) (bucket starts), `temp` varying smoothly. */
function buckets(gw: EdgeScript, device: string, fromB: number, toB: number): Frame[] {
  const samples: Sample[] = [];
  for (let b = fromB; b < toB; b += W) {
    const time = b + 20_000;
    samples.push({ metric: 'temp', time, value: temp(device, time) });
  }
  const frames: Frame[] = [];
  for (let i = 0; i < samples.length; i += CHUNK)
    frames.push(gw.ddata(device, samples.slice(i, i + CHUNK), { historical: true }));
  return frames;
}

export class Traffic {
  readonly now = Date.now();
  /** Start of the bucket holding `now`: the default window ends here. */
  readonly nowB = Math.floor(this.now / W) * W;
  readonly from = this.nowB - DAY_BUCKETS * W;
  readonly #gw1 = new EdgeScript(
    'e1',
    'gw1',
    ['a1', 'a2', 'a3', 'a4', 'ghost'].map((id) => ({ id, metrics: { temp: T.Double } })),
  );
  readonly #gw2 = new EdgeScript(
    'e2',
    'gw2',
    ['b1', 'b2', 'b3'].map((id) => ({ id, metrics: { temp: T.Double } })),
  );
  #sent = 0;

  constructor(
    private readonly pub: MqttClient,
    private readonly cloud: Cloud,
  ) {}

  async initial(): Promise<void> {
    const { from, nowB } = this;
    const g1 = this.#gw1;
    const g2 = this.#gw2;
    const h = 60 * W;
    await this.#send([
      g1.nbirth(from),
      ...['a1', 'a2', 'a3', 'ghost'].map((d) => g1.dbirth(d, from)),
      // a1 up to and including the bucket holding now: live whichever complete bucket is latest.
      ...buckets(g1, 'a1', from, nowB + W),
      ...buckets(g1, 'a2', from, nowB - 20 * W),
      g1.ddeath('a2', nowB - 19 * W),
      ...buckets(g1, 'a3', nowB - 6 * h, nowB - 30 * W),
      ...buckets(g1, 'ghost', nowB - 3 * h, nowB - 2 * W),
      g2.nbirth(from),
      ...['b1', 'b2', 'b3'].map((d) => g2.dbirth(d, from)),
      ...buckets(g2, 'b1', from, nowB - 5 * W),
      ...buckets(g2, 'b2', nowB - 10 * h - 5 * W, nowB - 5 * W),
      ...buckets(g2, 'b3', nowB - 2 * h - 5 * W, nowB - 5 * W),
      g2.ndeath(),
    ]);
  }

  /** a3's buffered history, delivered late: it becomes networked. */
  async fillA3(): Promise<void> {
    await this.#send(buckets(this.#gw1, 'a3', this.from, this.nowB - 6 * 60 * W));
  }

  async #send(frames: Frame[]): Promise<void> {
    for (const f of frames) {
      await this.pub.publishAsync(f.topic, f.payload, { qos: 1 });
      // Samples each frame carries (births' nulls included): what ingest will have stored.
      this.#sent += decodePayload(f.payload).metrics.filter(
        (m) => m.name !== 'bdSeq' && !m.name?.startsWith('Node Control/'),
      ).length;
    }
    const sent = this.#sent;
    await waitFor(() => this.cloud.stats().samplesStored === sent && this.cloud.ingest.acks.held === 0, {
      what: `${sent} samples stored`,
      timeoutMs: 30_000,
    });
  }
}

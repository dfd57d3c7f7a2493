/**
 * The chaos run's short form (test/chaos/run.ts, issue 7): simulators → 2 gateways → mosquitto →
 * tracker + 2 shared-subscription workers → influxd at ≈ 450 points/s for 75 s, while every fault
 * kind of the long run happens once or more with outages of 5–10 s: broker restarts (one with a
 * gateway kill -9 inside), an ingest worker kill -9, influxd down, devices flapping, garbage and NaN
 * answers, a clock-skewed edge node. Every good sample a gateway read must be in InfluxDB and the
 * rates the API serves must equal the ground truth. The long form: `npm run test:chaos`.
 */
import { describe, expect, it } from 'vitest';
import { PROFILES, runChaos } from '../chaos/run.ts';
import { influxdBinary } from '../helpers/influxd.ts';
import { mosquittoBinary } from '../helpers/mosquitto.ts';
import { tool } from '../helpers/tools.ts';

describe('chaos (short form)', () => {
  it('loses no sample and reports the true rates through every fault', { timeout: 360_000 }, async (ctx) => {
    tool(ctx, mosquittoBinary.name, mosquittoBinary.installHint);
    tool(ctx, influxdBinary.name, influxdBinary.installHint);
    const r = await runChaos(PROFILES.short, { log: () => undefined });
    const report = `\n${r.summary}\n\n${r.failures}\n`;
    console.info(report);

    expect(r.rec.lost, report).toEqual([]);
    expect(r.rec.unexplained, 'stored good samples that no gateway read').toEqual([]);
    expect(r.skew.lost, 'samples of the clock-skewed edge node lost').toBe(0);
    expect(r.skew.storedFuture, 'samples stamped an hour ahead must be refused').toBe(0);
    expect(r.rates.mismatches, report).toEqual([]);
    // A kill -9 may take with it what the gateway read in its last instant: at most one poll of
    // each of its devices (reconcile.ts says why).
    const pointsPerDevice = 10 + PROFILES.short.extraPoints;
    expect(r.rec.inFlight.length).toBeLessThanOrEqual(PROFILES.short.devices * pointsPerDevice);

    // The faults bit: every one ran, the gateways buffered and replayed, the store refused
    // writes, devices answered badly, and something was delivered twice and stored once.
    expect(r.faults.every((f) => f.startedAt !== undefined && f.endedAt !== undefined)).toBe(true);
    expect(r.queuePeak).toBeGreaterThan(0);
    expect(r.writes.historical).toBeGreaterThan(0);
    expect(r.writes.failedRequests).toBeGreaterThan(0);
    expect(r.rec.produced.bad).toBeGreaterThan(0);
    expect(r.writes.duplicates).toBeGreaterThan(0);
    expect(r.pointsPerSecond).toBeGreaterThan(300);
  });
});

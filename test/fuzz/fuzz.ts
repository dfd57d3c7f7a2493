/**
 * What every fuzzer shares: how many inputs to try and how to report what was tried.
 *
 * `FUZZ_RUNS` scales every fuzzer at once. It is the input count of the cheap, pure fuzzers
 * (default 10,000); the ones that cost a socket round trip or a fastify request per input
 * scale by the same factor from their own defaults. A long pass:
 *   FUZZ_RUNS=100000 npx vitest run test/fuzz
 * Each fuzzer prints one line `fuzz <name>: <inputs> inputs in <ms> ms …`; with
 * `FUZZ_REPORT=<file>` the same figures are appended to that file as JSON lines.
 * `FUZZ_SEED=<n>` replays a run: fast-check prints the seed of any failure.
 */
import { appendFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';

if (process.env.FUZZ_SEED) fc.configureGlobal({ seed: Number(process.env.FUZZ_SEED) });

export const BASE_RUNS = 10_000;
const requested = Number(process.env.FUZZ_RUNS ?? BASE_RUNS);
/** FUZZ_RUNS / 10,000: 1 by default, 10 for FUZZ_RUNS=100000. */
export const SCALE = Number.isFinite(requested) && requested > 0 ? requested / BASE_RUNS : 1;

/** A test's time limit: a minute at the default size, scaled with FUZZ_RUNS for long passes. */
export const FUZZ_TIMEOUT = Math.round(60_000 * Math.max(1, SCALE));

/** `base` inputs scaled by FUZZ_RUNS, at least 1. */
export const runs = (base: number): number => Math.max(1, Math.round(base * SCALE));

/** Counts the inputs a fuzzer actually tried (shrinking included) and outcomes by label. */
export class Tally {
  inputs = 0;
  readonly outcomes: Record<string, number> = {};
  readonly #started = performance.now();
  #last = this.#started;

  constructor(readonly name: string) {}

  /** `n` inputs tried (default 1), with what became of them (e.g. "decoded", "rejected", "400"). */
  count(outcome: string, n = 1): void {
    this.inputs += n;
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + n;
    this.#last = performance.now();
  }

  /** Prints (and with FUZZ_REPORT, records) the summary line; returns it for assertions. */
  report(): string {
    const ms = Math.round(this.#last - this.#started);
    const detail = Object.entries(this.outcomes)
      .sort(([, a], [, b]) => b - a)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const line = `fuzz ${this.name}: ${this.inputs} inputs in ${ms} ms (${detail})`;
    console.log(line);
    const file = process.env.FUZZ_REPORT;
    if (file) {
      const row = { name: this.name, inputs: this.inputs, ms, scale: SCALE, outcomes: this.outcomes };
      appendFileSync(file, `${JSON.stringify(row)}\n`);
    }
    return line;
  }
}

/** A full garbage collection, for heap measurements (exposes V8's gc without a CLI flag). */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Heap in use after a full collection, bytes. */
export function heapAfterGc(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

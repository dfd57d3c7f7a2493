/** The trend against its definition: every point equals a report over that step alone. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatError } from '../../config/load/errors.ts';
import { loadPlantText } from '../../config/load/plant.ts';
import { Ledger } from '../ledger/ledger.ts';
import { createRatesEngine } from './engine.ts';

const W = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0);
const DEVICES = ['d0', 'd1', 'd2', 'd3', 'd4'];

async function ledger(): Promise<Ledger> {
  const devices = DEVICES.map((id, i) => `          - { id: ${id}, kind: conveyor, digital: ${i !== 4} }`);
  const r = loadPlantText(
    `region: { id: r, name: R, cities: [{ id: c, name: C }] }
enterprises:
  - id: e
    name: E
    city: c
    industry: steel
    lines:
      - id: l
        devices:
${devices.join('\n')}
`,
    'plant.yaml',
  );
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return Ledger.fromPlants([r.value]);
}

describe('trend', () => {
  it('each point equals report() over its step, for random marks, windows, steps and θ', async () => {
    const l = await ledger();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 120 })), {
          maxLength: 200,
        }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0, 0.3, 0.5, 0.7, 1),
        (marks, start, stepBuckets, steps, theta) => {
          const engine = createRatesEngine({ ledger: l, clock: () => T0 + 200 * W });
          for (const [d, b] of marks) engine.sample('e', 'gw', DEVICES[d] ?? '', T0 + b * W + 1_000);
          const from = T0 + start * W;
          const stepMs = stepBuckets * W;
          const trend = engine.trend({ from, to: from + steps * stepMs, stepMs, theta }, T0 + 200 * W);
          expect(trend.points).toHaveLength(steps);
          for (const { from: f, to, ...ratios } of trend.points) {
            expect(ratios).toEqual(engine.report({ from: f, to, theta }, T0 + 200 * W).province.window);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

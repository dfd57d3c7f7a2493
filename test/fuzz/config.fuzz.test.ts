/**
 * The configuration loaders, fuzzed: YAML-ish text built from the plant vocabulary, mutations
 * of config/plants/demo.yaml and config/gateways/ts-steel.yaml (deleted, duplicated, swapped,
 * re-indented and truncated lines, random unicode, anchors and aliases, alias bombs, deep
 * nesting). A loader must return — never throw — and every error must name its file, a line
 * and a column inside that file, and say something.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigError, loadGatewayFile, loadPlantText, type LoadResult } from '../../config/index.ts';
import { MAX_YAML_DEPTH } from '../../config/load/yaml.ts';
import { FUZZ_TIMEOUT, runs, Tally } from './fuzz.ts';

const DEMO = readFileSync('config/plants/demo.yaml', 'utf8');
const GATEWAY = readFileSync('config/gateways/ts-steel.yaml', 'utf8');

/** Every error is located inside the text it names; returns an outcome label for the tally. */
function checkLocated(r: LoadResult<unknown>, texts: ReadonlyMap<string, string>): string {
  if (r.ok) return 'loaded';
  expect(r.errors.length).toBeGreaterThan(0);
  for (const e of r.errors) checkError(e, texts.get(e.file));
  const first = r.errors[0]?.message ?? '';
  return first.startsWith('YAML:')
    ? 'yaml error'
    : first.startsWith('cannot read')
      ? 'unreadable'
      : 'schema error';
}

function checkError(e: ConfigError, text: string | undefined): void {
  expect(typeof e.file).toBe('string');
  expect(e.file.length).toBeGreaterThan(0);
  expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
  expect(Number.isInteger(e.column) && e.column >= 1).toBe(true);
  expect(typeof e.message === 'string' && e.message.length > 0).toBe(true);
  expect(Array.isArray(e.path)).toBe(true);
  if (text === undefined) return;
  const lines = text.split('\n');
  expect(e.line, `${e.file}:${e.line}:${e.column} ${e.message}`).toBeLessThanOrEqual(lines.length);
  expect(e.column, `${e.file}:${e.line}:${e.column} ${e.message}`).toBeLessThanOrEqual(
    (lines[e.line - 1] ?? '').length + 1,
  );
}

// ---------------------------------------------------------------------------------- inputs

const KEYS = [
  'region',
  'id',
  'name',
  'nameEn',
  'cities',
  'enterprises',
  'city',
  'industry',
  'leading',
  'lines',
  'devices',
  'kind',
  'digital',
  'keyProcess',
  'connectivity',
  'type',
  'host',
  'port',
  'unitId',
  'points',
  'modbus',
  'table',
  'address',
  'order',
  'length',
  'scenario',
  'faults',
  'device',
  'gateway',
  'group',
  'node',
  'plant',
  'enterprise',
  'polling',
  'interval',
  'groups',
  'mqtt',
  'brokers',
  '<<',
  'x',
];
const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KEYS) }, fc.string({ maxLength: 6 }));
const scalar = fc.oneof(
  fc.constantFrom(
    '~',
    'null',
    'true',
    'no',
    '0x1F',
    '1e400',
    '-.inf',
    '.nan',
    "'a''b'",
    '"\\u00e9"',
    '"open',
    "'open",
    '|',
    '>-',
    '[',
    ']',
    '{',
    '}',
    '*a',
    '&a',
    '&a x',
    '!!binary aGk=',
    '!!str 1',
    '!!int x',
    '!x y',
    'modbus-tcp',
    'none',
    'steel',
    'holding',
    'float32',
    '::1',
    '502',
    '65536',
    '-1',
    '2021-13-01',
    '1s',
    '5ms',
  ),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.double().map(String),
);
const indent = fc.integer({ min: 0, max: 10 }).map((n) => ' '.repeat(n));
const line = fc.oneof(
  fc.tuple(indent, key, scalar).map(([i, k, v]) => `${i}${k}: ${v}`),
  fc.tuple(indent, key).map(([i, k]) => `${i}${k}:`),
  fc.tuple(indent, scalar).map(([i, v]) => `${i}- ${v}`),
  fc.tuple(indent, key, scalar, scalar).map(([i, k, a, b]) => `${i}${k}: { a: [${a}, ${b}], ${k}: ${a} }`),
  fc.constantFrom(
    '---',
    '...',
    '%YAML 1.2',
    '%TAG ! tag:x,2000:',
    '? [a, b]',
    ': c',
    '# comment',
    '\t- tab',
    '<<: *a',
    'a: &a [1, 2]',
    'b: *a',
    'b: *missing',
    '\uFEFFregion: x',
    'k: v # c',
    '- - - x',
  ),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const yamlish = fc
  .tuple(fc.array(line, { maxLength: 25 }), fc.constantFrom('\n', '\r\n', '\r'))
  .map(([ls, nl]) => ls.join(nl));

/** An alias bomb: `levels` anchors, each a list of `fan` aliases of the one before. */
const laughs = (levels: number, fan: number) =>
  [
    'l0: &l0 [lol]',
    ...Array.from(
      { length: levels },
      (_, i) => `l${i + 1}: &l${i + 1} [${Array(fan).fill(`*l${i}`).join(', ')}]`,
    ),
  ].join('\n');
const deepFlow = (n: number) => `x: ${'['.repeat(n)}${']'.repeat(n)}`;
const deepBlock = (n: number) =>
  ['x:', ...Array.from({ length: n }, (_, i) => `${' '.repeat(i + 1)}- `)].join('\n') + 'y';

type Mutation =
  | { op: 'delete' | 'duplicate' | 'tab'; at: number }
  | { op: 'swap'; at: number; other: number }
  | { op: 'insert' | 'append'; at: number; text: string }
  | { op: 'value'; at: number; value: string }
  | { op: 'indent'; at: number; by: number }
  | { op: 'truncate'; at: number }
  | { op: 'alias'; at: number; other: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('delete' as const, 'duplicate' as const, 'tab' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({
    op: fc.constantFrom('insert' as const, 'append' as const),
    at: fc.nat(),
    text: fc.oneof(line, fc.string({ unit: 'binary', maxLength: 8 })),
  }),
  fc.record({ op: fc.constant('value' as const), at: fc.nat(), value: scalar }),
  fc.record({ op: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('alias' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc
        .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }))
        .map(([l, f]) => laughs(l, f)),
      fc.integer({ min: 1, max: 3000 }).map(deepFlow),
      fc.integer({ min: 1, max: 300 }).map(deepBlock),
    ),
  }),
);

const VALUE = /^(\s*(?:- )?[^:#]+:\s)(.*)$/;
function mutate(text: string, ms: Mutation[]): string {
  let lines = text.split('\n');
  for (const m of ms) {
    const i = m.at % Math.max(lines.length, 1);
    const l = lines[i] ?? '';
    switch (m.op) {
      case 'delete':
        lines.splice(i, 1);
        break;
      case 'duplicate':
        lines.splice(i, 0, l);
        break;
      case 'tab':
        lines[i] = l.replace(/^ +/, '\t');
        break;
      case 'swap': {
        const j = m.other % lines.length;
        const [a, b] = [VALUE.exec(l), VALUE.exec(lines[j] ?? '')];
        if (a && b) [lines[i], lines[j]] = [`${a[1]}${b[2]}`, `${b[1]}${a[2]}`];
        break;
      }
      case 'insert':
        lines.splice(i, 0, ...m.text.split('\n'));
        break;
      case 'append': {
        const at = m.text.length ? m.text.length % (l.length + 1) : 0;
        lines[i] = l.slice(0, at) + m.text + l.slice(at);
        break;
      }
      case 'value': {
        const v = VALUE.exec(l);
        if (v) lines[i] = `${v[1]}${m.value}`;
        break;
      }
      case 'indent':
        lines[i] =
          m.by >= 0 ? ' '.repeat(m.by) + l : l.slice(Math.min(-m.by, l.length - l.trimStart().length));
        break;
      case 'truncate':
        lines = lines
          .join('\n')
          .slice(0, m.at % (text.length + 1))
          .split('\n');
        break;
      case 'alias': {
        const [a, b] = [VALUE.exec(l), VALUE.exec(lines[m.other % lines.length] ?? '')];
        if (a && b) {
          lines[i] = `${a[1]}&fz ${a[2]}`;
          lines[m.other % lines.length] = `${b[1]}*fz`;
        }
        break;
      }
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------- tests

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lianwang-fuzz-config-'));
  mkdirSync(path.join(dir, 'gateways'));
  mkdirSync(path.join(dir, 'plants'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration loaders, fuzzed', { timeout: FUZZ_TIMEOUT }, () => {
  it('plant loader: YAML-ish text from the plant vocabulary', () => {
    const t = new Tally('config plant yaml-ish');
    fc.assert(
      fc.property(yamlish, (text) => {
        t.count(checkLocated(loadPlantText(text, 'x.yaml'), new Map([['x.yaml', text]])));
      }),
      { numRuns: runs(3000) },
    );
    t.report();
    expect(t.inputs).toBe(runs(3000));
  });

  it('plant loader: mutations of demo.yaml', () => {
    const t = new Tally('config plant demo.yaml mutations');
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        const text = mutate(DEMO, ms);
        t.count(checkLocated(loadPlantText(text, 'demo.yaml'), new Map([['demo.yaml', text]])));
      }),
      { numRuns: runs(250) },
    );
    t.report();
    expect(t.outcomes['schema error'] ?? 0).toBeGreaterThan(0);
    expect(t.outcomes['yaml error'] ?? 0).toBeGreaterThan(0);
  });

  it('gateway loader: mutations of ts-steel.yaml and of the plant it references', async () => {
    const t = new Tally('config gateway mutations');
    const gwFile = path.join(dir, 'gateways', 'gw.yaml');
    const plantFile = path.join(dir, 'plants', 'demo.yaml');
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.option(fc.array(mutation, { minLength: 1, maxLength: 2 }), { freq: 4 }),
        async (ms, plantMs) => {
          const gw = mutate(GATEWAY, ms);
          const plant = plantMs ? mutate(DEMO, plantMs) : DEMO;
          writeFileSync(gwFile, gw);
          writeFileSync(plantFile, plant);
          const r = await loadGatewayFile(gwFile);
          t.count(
            checkLocated(
              r,
              new Map([
                [gwFile, gw],
                [plantFile, plant],
              ]),
            ),
          );
        },
      ),
      { numRuns: runs(150) },
    );
    t.report();
    expect(t.inputs).toBe(runs(150));
  });
});

describe('regressions found by fuzzing', () => {
  it('an alias bomb is a located error, not a thrown ReferenceError', () => {
    const text = `region: { id: hebei }\n${laughs(9, 10)}`;
    const r = loadPlantText(text, 'bomb.yaml');
    expect(r).toEqual({
      ok: false,
      errors: [
        expect.objectContaining({
          file: 'bomb.yaml',
          line: 3,
          column: 10,
          message: expect.stringMatching(/^YAML: Excessive alias count/) as string,
        }),
      ],
    });
  });

  it.each([
    ['flow', deepFlow(10_000), 1, 4 + MAX_YAML_DEPTH - 1],
    ['block', deepBlock(2_000), MAX_YAML_DEPTH + 1, MAX_YAML_DEPTH + 1],
  ])(
    '%s nesting thousands deep is a located error (it killed the process with a fatal OOM)',
    (_kind, text, line, column) => {
      const r = loadPlantText(text, 'deep.yaml');
      expect(r).toEqual({
        ok: false,
        errors: [
          {
            file: 'deep.yaml',
            line,
            column,
            path: [],
            message: `YAML: collections nested deeper than ${MAX_YAML_DEPTH} levels`,
          },
        ],
      });
    },
  );
});

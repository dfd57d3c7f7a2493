import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlantFile, loadPlantText } from '../../config/load/plant.ts';
import type { Plant } from '../../config/load/resolve.ts';
import { formatError } from '../../config/load/errors.ts';
import { EDITS_FILE } from './edits.ts';
import { Ledger } from './ledger.ts';
import { LedgerError } from './schema.ts';
import type { LedgerDevice } from './types.ts';

async function demo(): Promise<Plant> {
  const r = await loadPlantFile('config/plants/demo.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return r.value;
}

function plant(yaml: string, file = 'p.yaml'): Plant {
  const r = loadPlantText(yaml, file);
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return r.value;
}

const SMALL = `region: { id: r, name: 测试省, cities: [{ id: c1, name: 一市 }, { id: c2, name: 二市 }] }
enterprises:
  - id: e1
    name: 一号企业
    city: c1
    industry: steel
    leading: true
    lines:
      - id: l1
        devices:
          - { id: d1, kind: air-compressor, connectivity: { type: modbus-tcp, host: '::1', port: 1502 } }
          - { id: d2, kind: conveyor, digital: false }
`;

const device = (over: Partial<LedgerDevice> = {}): LedgerDevice => ({
  enterprise: 'e1',
  line: 'l1',
  id: 'd3',
  kind: 'conveyor',
  digital: true,
  keyProcess: false,
  connectivity: 'opcua',
  ...over,
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LedgerError)) throw new Error(`expected a LedgerError, got ${String(err)}`);
  return err.code;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-ledger-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Ledger from plant files', () => {
  it('demo.yaml: region, 3 enterprises, 40 devices in file order', async () => {
    const ledger = await Ledger.fromPlants([await demo()]);
    expect(ledger.region()).toMatchObject({ id: 'hebei', name: '河北省' });
    expect(ledger.region().cities).toHaveLength(14);
    expect(ledger.enterprises().map((e) => e.id)).toEqual(['ts-steel', 'bd-equipment', 'sjz-pharma']);
    expect(ledger.devices()).toHaveLength(40);
    expect(ledger.device('ts-steel', 'furnace-1')).toMatchObject({
      line: 'hot-strip',
      kind: 'reheating-furnace',
      digital: true,
      keyProcess: true,
      connectivity: 'modbus-tcp',
    });
    expect(ledger.version).toBe(0);
  });

  it('Ledger.load reads the files; hebei.yaml expands to 430 enterprises, 28,374 devices', async () => {
    const ledger = await Ledger.load(['config/plants/hebei.yaml']);
    expect(ledger.enterprises()).toHaveLength(430);
    expect(ledger.devices()).toHaveLength(28_374);
  });

  it('Ledger.load reports plant errors as one bad_plant error', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, 'region: { id: r }\n');
    expect(await codeOf(Ledger.load([bad]))).toBe('bad_plant');
  });

  it('merges plants of one region; rejects an enterprise in two plants', async () => {
    const other = plant(SMALL.replace('id: e1', 'id: e2'), 'q.yaml');
    const ledger = await Ledger.fromPlants([plant(SMALL), other]);
    expect(ledger.enterprises().map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(await codeOf(Ledger.fromPlants([plant(SMALL), plant(SMALL, 'again.yaml')]))).toBe(
      'duplicate_enterprise',
    );
    expect(await codeOf(Ledger.fromPlants([plant(SMALL), await demo()]))).toBe('plant_conflict');
    expect(await codeOf(Ledger.fromPlants([]))).toBe('no_region');
  });
});

describe('Ledger edits', () => {
  it('validates: unknown enterprise, city, industry, bad ids — each with a code, nothing changed', async () => {
    const ledger = await Ledger.fromPlants([plant(SMALL)], { dataDir: dir });
    expect(await codeOf(ledger.putDevice(device({ enterprise: 'nope' })))).toBe('unknown_enterprise');
    const e = { id: 'e9', name: '九号', city: 'c1', industry: 'pharma' as const, leading: false };
    expect(await codeOf(ledger.putEnterprise({ ...e, city: 'c3' }))).toBe('unknown_city');
    const badIndustry = { ...e, industry: 'textiles' } as unknown as typeof e;
    expect(await codeOf(ledger.putEnterprise(badIndustry))).toBe('unknown_industry');
    expect(await codeOf(ledger.putDevice(device({ id: 'has space' })))).toBe('invalid_input');
    const err = await ledger.putEnterprise({ ...e, city: 'c3' }).catch((x: unknown) => x);
    expect((err as LedgerError).message).toContain('unknown city "c3" (did you mean "c1"?)');
    expect(ledger.version).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it('put/delete bump the version, persist atomically, and survive a restart', async () => {
    const ledger = await Ledger.fromPlants([plant(SMALL)], { dataDir: dir });
    await ledger.putEnterprise({ id: 'e2', name: '二号企业', city: 'c2', industry: 'pharma', leading: true });
    await ledger.putDevice(device({ enterprise: 'e2', id: 'x1' }));
    await ledger.putDevice(device({ id: 'd1', digital: false })); // replaces a plant device
    expect(await ledger.deleteDevice('e1', 'd2')).toBe(true);
    expect(await ledger.deleteDevice('e1', 'd2')).toBe(false);
    expect(ledger.version).toBe(4);
    expect(await readdir(dir)).toEqual([EDITS_FILE]); // no temp file left behind

    const again = await Ledger.fromPlants([plant(SMALL)], { dataDir: dir });
    expect(again.enterprise('e2')).toEqual({
      id: 'e2',
      name: '二号企业',
      city: 'c2',
      industry: 'pharma',
      leading: true,
    });
    expect(again.devices('e2').map((d) => d.id)).toEqual(['x1']);
    expect(again.device('e1', 'd1')?.digital).toBe(false);
    expect(again.device('e1', 'd2')).toBeUndefined();
    expect(again.devices().map((d) => `${d.enterprise}/${d.id}`)).toEqual(['e1/d1', 'e2/x1']);
    expect(again.replayIssues).toEqual([]);
  });

  it('a deleted device put back is present after a restart', async () => {
    const ledger = await Ledger.fromPlants([plant(SMALL)], { dataDir: dir });
    await ledger.deleteDevice('e1', 'd1');
    await ledger.putDevice(device({ id: 'd1' }));
    const again = await Ledger.fromPlants([plant(SMALL)], { dataDir: dir });
    expect(again.device('e1', 'd1')?.connectivity).toBe('opcua');
  });

  it('concurrent edits run in order: a device may reference an enterprise put just before', async () => {
    const ledger = await Ledger.fromPlants([plant(SMALL)], { dataDir: dir });
    await Promise.all([
      ledger.putEnterprise({ id: 'e3', name: '三号', city: 'c1', industry: 'other', leading: false }),
      ledger.putDevice(device({ enterprise: 'e3', id: 'a' })),
      ledger.putDevice(device({ enterprise: 'e3', id: 'b' })),
    ]);
    expect(ledger.devices('e3').map((d) => d.id)).toEqual(['a', 'b']);
    const saved = JSON.parse(await readFile(path.join(dir, EDITS_FILE), 'utf8')) as { devices: unknown[] };
    expect(saved.devices).toHaveLength(2);
  });

  it('a failed write rejects with persist_failed and changes nothing', async () => {
    const data = path.join(dir, 'data');
    const ledger = await Ledger.fromPlants([plant(SMALL)], { dataDir: data });
    await writeFile(data, ''); // the data directory's path is now a file: every write fails
    expect(await codeOf(ledger.putDevice(device()))).toBe('persist_failed');
    expect(ledger.device('e1', 'd3')).toBeUndefined();
    expect(ledger.version).toBe(0);
    // …and the queue goes on: a later edit is still attempted.
    expect(await codeOf(ledger.deleteDevice('e1', 'd1'))).toBe('persist_failed');
  });

  it('without a file, edits live in memory only', async () => {
    const ledger = await Ledger.fromPlants([plant(SMALL)]);
    await ledger.putDevice(device());
    expect(ledger.devices('e1')).toHaveLength(3);
    expect(ledger.editsFile).toBeUndefined();
  });

  it('an edit that no longer fits the plant is reported and kept, not applied', async () => {
    const ledger = await Ledger.fromPlants([plant(SMALL)], { dataDir: dir });
    await ledger.putEnterprise({ id: 'e2', name: '二号', city: 'c2', industry: 'steel', leading: false });
    await ledger.putDevice(device({ enterprise: 'e2', id: 'x' }));
    // The plant file loses city c2: the enterprise edit (and so its device) cannot apply.
    const shrunk = plant(SMALL.replace(', { id: c2, name: 二市 }', ''));
    const again = await Ledger.fromPlants([shrunk], { dataDir: dir });
    expect(again.enterprise('e2')).toBeUndefined();
    expect(again.replayIssues).toHaveLength(2);
    expect(again.replayIssues[0]).toContain('unknown city "c2"');
    const saved = JSON.parse(await readFile(path.join(dir, EDITS_FILE), 'utf8')) as {
      enterprises: unknown[];
    };
    expect(saved.enterprises).toHaveLength(1);
  });

  it('a corrupt edits file stops the start with bad_edits_file', async () => {
    await writeFile(path.join(dir, EDITS_FILE), '{"format":');
    expect(await codeOf(Ledger.fromPlants([plant(SMALL)], { dataDir: dir }))).toBe('bad_edits_file');
    await writeFile(path.join(dir, EDITS_FILE), '{"format":"something-else"}');
    expect(await codeOf(Ledger.fromPlants([plant(SMALL)], { dataDir: dir }))).toBe('bad_edits_file');
  });

  it('devices() arrays are cached per version', async () => {
    const ledger = await Ledger.fromPlants([plant(SMALL)]);
    const a = ledger.devices('e1');
    expect(ledger.devices('e1')).toBe(a);
    await ledger.putDevice(device());
    expect(ledger.devices('e1')).not.toBe(a);
    expect(ledger.devices('unknown')).toEqual([]);
  });
});

/**
 * The equipment ledger (设备台账) in memory: plant files as the base, API edits replayed
 * over them from the edits file (see edits.ts). Edits run one at a time, are validated,
 * written to disk, and only then become visible (and bump `version`), so a failed write
 * changes nothing and a restart sees exactly what callers were told succeeded.
 */
import path from 'node:path';
import { formatError } from '../../config/load/errors.ts';
import { loadPlantFile } from '../../config/load/plant.ts';
import type { Plant } from '../../config/load/resolve.ts';
import { deviceKey, EDITS_FILE, LedgerEdits, readEdits, writeEdits } from './edits.ts';
import { LedgerError, parseDevice, parseEnterprise, unknownRef } from './schema.ts';
import type { LedgerDevice, LedgerEnterprise, LedgerRegion, LedgerView } from './types.ts';

export interface LedgerOptions {
  /** The edits file. Default: `${dataDir}/ledger-edits.json`; neither = edits kept in memory only. */
  file?: string;
  dataDir?: string;
}

export class Ledger implements LedgerView {
  #version = 0;
  readonly #region: LedgerRegion;
  readonly #cityIds: Set<string>;
  readonly #enterprises = new Map<string, LedgerEnterprise>();
  /** Per enterprise, in ledger order (plant file order, then devices added by edits). */
  readonly #devices = new Map<string, Map<string, LedgerDevice>>();
  #edits = LedgerEdits.empty();
  readonly #file: string | undefined;
  /** Edits run in sequence: each validates against the state the previous one left. */
  #queue: Promise<unknown> = Promise.resolve();
  #all: readonly LedgerDevice[] | undefined;
  readonly #perEnterprise = new Map<string, readonly LedgerDevice[]>();
  #enterpriseList: readonly LedgerEnterprise[] | undefined;
  /** Edits from the file that no longer apply to the plant files (kept in the file, not applied). */
  readonly replayIssues: string[] = [];

  private constructor(region: LedgerRegion, file: string | undefined) {
    this.#region = region;
    this.#cityIds = new Set(region.cities.map((c) => c.id));
    this.#file = file;
  }

  /**
   * Builds the ledger from resolved plants (all of one region; enterprise ids unique across
   * them), then replays the edits file if there is one.
   */
  static async fromPlants(plants: readonly Plant[], opts: LedgerOptions = {}): Promise<Ledger> {
    const first = plants[0];
    if (!first) throw new LedgerError('no_region', 'a ledger needs at least one plant (for its region)');
    const cities = new Map<string, LedgerRegion['cities'][number]>();
    for (const p of plants) {
      if (p.region.id !== first.region.id) {
        throw new LedgerError(
          'plant_conflict',
          `${p.file}: region "${p.region.id}" differs from "${first.region.id}" in ${first.file}`,
        );
      }
      for (const c of p.region.cities) if (!cities.has(c.id)) cities.set(c.id, { ...c });
    }
    const { cities: _c, ...region } = first.region;
    const file = opts.file ?? (opts.dataDir ? path.join(opts.dataDir, EDITS_FILE) : undefined);
    const ledger = new Ledger({ ...region, cities: [...cities.values()] }, file);
    const owner = new Map<string, string>();
    for (const p of plants) {
      for (const e of p.enterprises) {
        const other = owner.get(e.id);
        if (other) {
          throw new LedgerError(
            'duplicate_enterprise',
            `enterprise "${e.id}" is in both ${other} and ${p.file}`,
          );
        }
        owner.set(e.id, p.file);
        ledger.#setEnterprise({
          id: e.id,
          name: e.name,
          city: e.city,
          industry: e.industry,
          leading: e.leading,
        });
        for (const l of e.lines) {
          for (const d of l.devices) {
            ledger.#setDevice({
              enterprise: e.id,
              line: l.id,
              id: d.id,
              ...(d.name === undefined ? {} : { name: d.name }),
              kind: d.kind,
              digital: d.digital,
              keyProcess: d.keyProcess,
              connectivity: d.connectivity.type,
            });
          }
        }
      }
    }
    if (file) ledger.#replay(await readEdits(file));
    return ledger;
  }

  /** Loads plant files and builds the ledger; configuration errors become one `bad_plant` error. */
  static async load(files: readonly string[], opts: LedgerOptions = {}): Promise<Ledger> {
    const plants: Plant[] = [];
    const errors: string[] = [];
    for (const f of files) {
      const r = await loadPlantFile(f);
      if (r.ok) plants.push(r.value);
      else errors.push(...r.errors.map(formatError));
    }
    if (errors.length) {
      throw new LedgerError(
        'bad_plant',
        `plant files do not load:\n${errors.join('\n')}`,
        errors.map((message) => ({ path: '', message })),
      );
    }
    return Ledger.fromPlants(plants, opts);
  }

  get version(): number {
    return this.#version;
  }

  /** Where edits are persisted, if anywhere. */
  get editsFile(): string | undefined {
    return this.#file;
  }

  region(): LedgerRegion {
    return this.#region;
  }

  enterprises(): readonly LedgerEnterprise[] {
    return (this.#enterpriseList ??= [...this.#enterprises.values()]);
  }

  enterprise(id: string): LedgerEnterprise | undefined {
    return this.#enterprises.get(id);
  }

  /** Arrays are cached until the next change: callers must not mutate them. */
  devices(enterprise?: string): readonly LedgerDevice[] {
    if (enterprise === undefined) {
      return (this.#all ??= [...this.#devices.values()].flatMap((m) => [...m.values()]));
    }
    let list = this.#perEnterprise.get(enterprise);
    if (!list) {
      list = [...(this.#devices.get(enterprise)?.values() ?? [])];
      this.#perEnterprise.set(enterprise, list);
    }
    return list;
  }

  device(enterprise: string, id: string): LedgerDevice | undefined {
    return this.#devices.get(enterprise)?.get(id);
  }

  putEnterprise(input: LedgerEnterprise): Promise<void> {
    return this.#serial(async () => {
      const e = parseEnterprise(input);
      this.#checkEnterprise(e);
      await this.#commit(this.#edits.withEnterprise(e));
      this.#setEnterprise(e);
      this.#changed();
    });
  }

  putDevice(input: LedgerDevice): Promise<void> {
    return this.#serial(async () => {
      const d = parseDevice(input);
      this.#checkDevice(d);
      await this.#commit(this.#edits.withDevice(d));
      this.#setDevice(d);
      this.#changed();
    });
  }

  /** false when there is no such device (nothing is written). */
  deleteDevice(enterprise: string, id: string): Promise<boolean> {
    return this.#serial(async () => {
      if (!this.device(enterprise, id)) return false;
      await this.#commit(this.#edits.withDeletion(enterprise, id));
      this.#devices.get(enterprise)?.delete(id);
      this.#changed();
      return true;
    });
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op);
    // The queue continues after a failed edit; the caller still sees the rejection.
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #commit(edits: LedgerEdits): Promise<void> {
    if (this.#file) await writeEdits(this.#file, edits);
    this.#edits = edits;
  }

  #checkEnterprise(e: LedgerEnterprise): void {
    if (!this.#cityIds.has(e.city)) {
      throw new LedgerError('unknown_city', unknownRef('city', e.city, this.#cityIds), [
        { path: 'city', message: unknownRef('city', e.city, this.#cityIds) },
      ]);
    }
  }

  #checkDevice(d: LedgerDevice): void {
    if (!this.#enterprises.has(d.enterprise)) {
      const message = unknownRef('enterprise', d.enterprise, this.#enterprises.keys());
      throw new LedgerError('unknown_enterprise', message, [{ path: 'enterprise', message }]);
    }
  }

  #setEnterprise(e: LedgerEnterprise): void {
    this.#enterprises.set(e.id, e);
    if (!this.#devices.has(e.id)) this.#devices.set(e.id, new Map());
  }

  #setDevice(d: LedgerDevice): void {
    let m = this.#devices.get(d.enterprise);
    if (!m) this.#devices.set(d.enterprise, (m = new Map<string, LedgerDevice>()));
    m.set(d.id, d);
  }

  #changed(): void {
    this.#version++;
    this.#all = undefined;
    this.#enterpriseList = undefined;
    this.#perEnterprise.clear();
  }

  /**
   * Applies the persisted edits. One that no longer fits the plant files (its city or
   * enterprise was removed from them) is reported in `replayIssues` and kept in the file,
   * so fixing the plant file brings it back; refusing to start would lock the operator out.
   */
  #replay(edits: LedgerEdits): void {
    this.#edits = edits;
    const tryApply = (what: string, apply: () => void) => {
      try {
        apply();
      } catch (err) {
        if (!(err instanceof LedgerError)) throw err;
        this.replayIssues.push(`${this.#file ?? ''}: edit of ${what} not applied: ${err.message}`);
      }
    };
    for (const e of edits.enterprises.values()) {
      tryApply(`enterprise ${e.id}`, () => {
        this.#checkEnterprise(e);
        this.#setEnterprise(e);
      });
    }
    for (const d of edits.devices.values()) {
      tryApply(`device ${d.enterprise}/${d.id}`, () => {
        this.#checkDevice(d);
        this.#setDevice(d);
      });
    }
    for (const { enterprise, id } of edits.deleted.values()) {
      if (!edits.devices.has(deviceKey(enterprise, id))) this.#devices.get(enterprise)?.delete(id);
    }
    if (edits.size) this.#changed();
  }
}

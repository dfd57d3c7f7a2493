/**
 * The ledger edits file (`${dataDir}/ledger-edits.json`): every edit made through the API,
 * replayed over the plant files on start. It holds the latest state per key (enterprise,
 * device, deletion), not a log, so it stays as small as the set of edited entries however
 * often they change. Written atomically (temp file, fsync, rename, fsync of the directory):
 * a crash leaves either the old or the new file, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { Id } from '../../config/model/common.ts';
import { LedgerDeviceSchema, LedgerEnterpriseSchema, LedgerError } from './schema.ts';
import type { LedgerDevice, LedgerEnterprise } from './types.ts';

export const EDITS_FILE = 'ledger-edits.json';

const DeviceRef = z.strictObject({ enterprise: Id, id: Id });

const EditsFile = z.strictObject({
  format: z.literal('lianwang-ledger-edits'),
  version: z.literal(1),
  enterprises: z.array(LedgerEnterpriseSchema),
  devices: z.array(LedgerDeviceSchema),
  deleted: z.array(DeviceRef),
});

/** Device key within the ledger: enterprise and device id (device ids are unique per enterprise). */
export const deviceKey = (enterprise: string, id: string): string => `${enterprise}\u0000${id}`;

/** Immutable: each edit makes a new value, persisted before the ledger adopts it. */
export class LedgerEdits {
  private constructor(
    readonly enterprises: ReadonlyMap<string, LedgerEnterprise>,
    readonly devices: ReadonlyMap<string, LedgerDevice>,
    readonly deleted: ReadonlyMap<string, { enterprise: string; id: string }>,
  ) {}

  static empty(): LedgerEdits {
    return new LedgerEdits(new Map(), new Map(), new Map());
  }

  get size(): number {
    return this.enterprises.size + this.devices.size + this.deleted.size;
  }

  withEnterprise(e: LedgerEnterprise): LedgerEdits {
    return new LedgerEdits(new Map(this.enterprises).set(e.id, e), this.devices, this.deleted);
  }

  withDevice(d: LedgerDevice): LedgerEdits {
    const key = deviceKey(d.enterprise, d.id);
    const deleted = new Map(this.deleted);
    deleted.delete(key);
    return new LedgerEdits(this.enterprises, new Map(this.devices).set(key, d), deleted);
  }

  /** A tombstone even for a device added by an edit: cheap, and replay stays order-free. */
  withDeletion(enterprise: string, id: string): LedgerEdits {
    const key = deviceKey(enterprise, id);
    const devices = new Map(this.devices);
    devices.delete(key);
    return new LedgerEdits(this.enterprises, devices, new Map(this.deleted).set(key, { enterprise, id }));
  }

  toJSON(): z.input<typeof EditsFile> {
    return {
      format: 'lianwang-ledger-edits',
      version: 1,
      enterprises: [...this.enterprises.values()],
      devices: [...this.devices.values()],
      deleted: [...this.deleted.values()],
    };
  }

  static fromJSON(raw: unknown, file: string): LedgerEdits {
    const r = EditsFile.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new LedgerError(
        'bad_edits_file',
        `${file}: not a ledger edits file (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''})`,
      );
    }
    let edits = LedgerEdits.empty();
    for (const e of r.data.enterprises) edits = edits.withEnterprise(e);
    for (const d of r.data.devices) edits = edits.withDevice(d);
    for (const d of r.data.deleted) edits = edits.withDeletion(d.enterprise, d.id);
    return edits;
  }
}

/** A missing file is an empty set of edits; an unreadable one is an error (never silently dropped). */
export async function readEdits(file: string): Promise<LedgerEdits> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return LedgerEdits.empty();
    throw new LedgerError('bad_edits_file', `${file}: cannot read the ledger edits`, [], { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LedgerError('bad_edits_file', `${file}: not valid JSON`, [], { cause: err });
  }
  return LedgerEdits.fromJSON(raw, file);
}

export async function writeEdits(file: string, edits: LedgerEdits): Promise<void> {
  const dir = path.dirname(file);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(`${JSON.stringify(edits.toJSON(), null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    await syncDir(dir);
  } catch (err) {
    // Best effort: the temp file may not exist, or its directory may be what failed.
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new LedgerError('persist_failed', `cannot write the ledger edits to ${file}`, [], { cause: err });
  }
}

/** Makes the rename itself durable; some platforms cannot open a directory, which is fine there. */
async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM on platforms without directory fsync: the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

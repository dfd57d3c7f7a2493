/**
 * The dashboard's built files for the API's `staticDir`. `ensureDashboard()` builds them when
 * dashboard/dist is missing or older than any of its sources, so `npm start` on a fresh clone
 * needs no separate build step (an esbuild build takes well under a second).
 *
 *   const staticDir = await ensureDashboard();
 *   const cloud = await buildCloud({ ..., staticDir });
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboard, DASHBOARD_SOURCES, DEFAULT_OUT_DIR, type BuildResult } from '../dashboard/build.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** A dependency update (echarts) must rebuild too. */
const EXTRA_INPUTS = [path.join(ROOT, 'package-lock.json')];

/** Newest modification time under `p` (a file or a directory tree), 0 when it does not exist. */
async function newest(p: string): Promise<number> {
  let info;
  try {
    info = await stat(p);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let max = info.mtimeMs; // a deleted file changes only its directory's time
  for (const entry of await readdir(p)) max = Math.max(max, await newest(path.join(p, entry)));
  return max;
}

export interface EnsureOptions {
  outDir?: string;
  /** Told when a build ran (the cloud logs it). */
  onBuild?: (r: BuildResult) => void;
}

const pending = new Map<string, Promise<string>>();

/**
 * The directory of the built dashboard, built first when missing or stale. Calls in one
 * process share one build. Without sources (a deployment that ships only dist/) the existing
 * build is used as it is.
 */
export function ensureDashboard(opts: EnsureOptions = {}): Promise<string> {
  const dir = path.resolve(opts.outDir ?? DEFAULT_OUT_DIR);
  let p = pending.get(dir);
  if (!p) {
    p = ensure(dir, opts).finally(() => pending.delete(dir));
    pending.set(dir, p);
  }
  return p;
}

async function ensure(dir: string, opts: EnsureOptions): Promise<string> {
  const built = await newest(path.join(dir, 'index.html'));
  const sources = Math.max(...(await Promise.all([...DASHBOARD_SOURCES, ...EXTRA_INPUTS].map(newest))));
  if (built > 0 && (sources === 0 || built >= sources)) return dir;
  if (sources === 0) throw new Error(`no dashboard build in ${dir} and no sources to build it from`);
  const r = await buildDashboard({ outDir: dir });
  opts.onBuild?.(r);
  return r.dir;
}

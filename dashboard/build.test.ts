import { mkdtemp, readdir, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDashboard } from '../cloud/dashboard.ts';
import type { BuildResult } from './build.ts';

describe('dashboard build', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('builds when missing, reuses a fresh build, rebuilds a stale one; concurrent calls share one build', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'lianwang-dashboard-build-'));
    dirs.push(parent);
    const outDir = path.join(parent, 'dist');
    const builds: BuildResult[] = [];
    const onBuild = (r: BuildResult) => builds.push(r);

    const [a, b] = await Promise.all([
      ensureDashboard({ outDir, onBuild }),
      ensureDashboard({ outDir, onBuild }),
    ]);
    expect(a).toBe(outDir);
    expect(b).toBe(outDir);
    expect(builds).toHaveLength(1);
    expect(builds[0]?.bytes).toBeGreaterThan(100_000);
    expect((await readdir(outDir)).sort()).toEqual(
      expect.arrayContaining(['app.css', 'app.css.map', 'app.js', 'app.js.map', 'index.html']),
    );
    // index.html names the bundles with a content hash: a one-hour cache never serves an old build.
    const html = await readFile(path.join(outDir, 'index.html'), 'utf8');
    expect(html).toMatch(/<script type="module" src="app\.js\?v=[0-9a-f]{12}"><\/script>/);
    expect(html).toMatch(/href="app\.css\?v=[0-9a-f]{12}"/);
    expect(html).toContain('lang="zh-CN"');

    await ensureDashboard({ outDir, onBuild });
    expect(builds).toHaveLength(1);

    // Older than every source: rebuilt, in place. (A build leaves no temporary files behind.)
    await utimes(path.join(outDir, 'index.html'), new Date(1_000), new Date(1_000));
    await ensureDashboard({ outDir, onBuild });
    expect(builds).toHaveLength(2);
    expect(await readdir(parent)).toEqual(['dist']);
    expect((await readdir(outDir)).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

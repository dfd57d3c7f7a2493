/**
 * Builds the dashboard with esbuild: one bundled, minified script (app.js) and stylesheet
 * (app.css) with source maps, and an index.html that names them with a content hash in the
 * query string. The cloud serves bundles with a one-hour cache and index.html with
 * `no-cache`, so the hash is what makes a new build reach browsers at once.
 *
 *   npx tsx dashboard/build.ts [outDir]
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Everything the build reads besides node_modules: ensureDashboard compares its times with dist/. */
export const DASHBOARD_SOURCES = [path.join(HERE, 'src'), fileURLToPath(import.meta.url)];
export const DEFAULT_OUT_DIR = path.join(HERE, 'dist');

export interface BuildResult {
  dir: string;
  ms: number;
  /** Bytes of index.html, app.js and app.css (source maps not counted: browsers fetch them only in devtools). */
  bytes: number;
}

function indexHtml(hash: string): string {
  // A one-glyph SVG icon inline: no /favicon.ico request that would answer 404.
  const icon =
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='6' fill='%230b3a66'/%3E%3Cpath d='M8 22l6-6 4 4 6-9' stroke='%23fff' stroke-width='3' fill='none'/%3E%3C/svg%3E";
  return `<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light" />
    <title>联网 · 数字化设备联网率</title>
    <link rel="icon" href="${icon}" />
    <link rel="stylesheet" href="app.css?v=${hash}" />
  </head>
  <body>
    <div id="app"></div>
    <noscript>联网仪表板需要 JavaScript。The lianwang dashboard needs JavaScript.</noscript>
    <script type="module" src="app.js?v=${hash}"></script>
  </body>
</html>
`;
}

/**
 * Builds into `outDir` (default dashboard/dist). Each file is written beside its final name
 * and renamed over it, so a server reading the directory never sees a half-written file, and
 * the directory itself never disappears (the API resolves it once, at start). index.html goes
 * last: it names the new bundles only once they are in place.
 */
export async function buildDashboard(opts: { outDir?: string } = {}): Promise<BuildResult> {
  const started = performance.now();
  const dir = path.resolve(opts.outDir ?? DEFAULT_OUT_DIR);
  const result = await build({
    entryPoints: [
      { in: path.join(HERE, 'src/main.ts'), out: 'app' },
      { in: path.join(HERE, 'src/app.css'), out: 'app' },
    ],
    outdir: dir,
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
    // ECharts keeps development checks behind this; the dashboard ships without them.
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'linked',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  const hash = createHash('sha256');
  for (const f of result.outputFiles) hash.update(f.contents);
  const html = indexHtml(hash.digest('hex').slice(0, 12));

  await mkdir(dir, { recursive: true });
  const put = async (name: string, contents: Uint8Array | string) => {
    const tmp = path.join(dir, `.${name}.tmp-${process.pid}`);
    await writeFile(tmp, contents);
    await rename(tmp, path.join(dir, name));
  };
  let bytes = Buffer.byteLength(html);
  for (const f of result.outputFiles) {
    await put(path.relative(dir, f.path), f.contents);
    if (!f.path.endsWith('.map') && !f.path.endsWith('.txt')) bytes += f.contents.byteLength;
  }
  // Last: its mtime also marks the build complete for ensureDashboard.
  await put('index.html', html);
  return { dir, ms: Math.round(performance.now() - started), bytes };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const r = await buildDashboard(process.argv[2] ? { outDir: process.argv[2] } : {});
  console.log(`dashboard built in ${r.ms} ms: ${r.dir} (${(r.bytes / 1024).toFixed(0)} KiB)`);
}

/**
 * `npm run build [-- --outdir dir] [-- --targets linux-x64,linux-arm64|host|all]`: the edge gateway
 * as one file for plain `node`, with no node_modules beside it (docs/edge.md):
 *
 *   dist/gateway.js                  the gateway CLI and every JS dependency, ESM, minified
 *   dist/gateway.js.map              its source map (names and lines; `node --enable-source-maps`)
 *   dist/package.json                `{"type": "module"}`: gateway.js is ESM wherever dist/ is copied
 *   dist/native/<pkg>/prebuilds/…    the native addons' prebuilt binaries for the target machines
 *   dist/THIRD-PARTY-NOTICES.txt     licences of everything bundled
 *
 * What needed solving, and where:
 * - Native addons (classic-level for the disk buffer, @serialport/bindings-cpp for Modbus RTU) find
 *   their binaries relative to their own directory: plugins.ts `nativeAddons`, plus copying the
 *   prebuilds below. No other addon is in the graph; the plugin fails the build if one appears.
 * - wire/sparkplug/proto.ts reads sparkplug_b.proto from disk: embedded (plugins.ts `embedSourceFiles`).
 * - CommonJS dependencies (node-opcua, pino, modbus-serial, …) use `require`, `__dirname` and
 *   `__filename`, which an ES module lacks: the banner defines them, for the bundle's own location.
 * - pino: the gateway logs JSON to stdout with pino's default destination (sonic-boom, no worker
 *   thread). pino's transport code is bundled but never runs; `transport:` options would not work
 *   (they start a worker from a file next to pino) — the edge logs to journald through stdout anyway.
 * - Optional packages stay external imports that are never reached: `proper-lockfile`, a provider of
 *   @ster5/global-mutex (node-opcua's PKI lock) used only if GLOBAL_MUTEX_PROVIDER asks for it, and
 *   ws's native accelerators `bufferutil` and `utf-8-validate` (mqtt.js over ws://), which ws requires
 *   inside a try/catch. None is installed; marked external, they are not bundled even where they are.
 * - The two drivers are `import()`ed on first use (gateway/drivers/registry.ts); esbuild inlines both,
 *   so a Modbus-only gateway still evaluates node-opcua's modules only when the OPC UA driver loads.
 */
import { cp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { embedSourceFiles, nativeAddons, nativeDir } from './plugins.ts';
import { thirdPartyNotices } from './notices.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Edge boxes are mostly x64 industrial PCs and ARM boards (Raspberry Pi 4/5 and the like). */
export const DEFAULT_TARGETS = ['linux-x64', 'linux-arm64', 'linux-arm'];

/** Optional imports left in the bundle on purpose (see above): each is guarded where it is used. */
const ALLOWED_EXTERNALS = new Set(['proper-lockfile', 'bufferutil', 'utf-8-validate']);

export interface EdgeBuildOptions {
  /** Output directory, emptied first. Default: dist/ in the repository. */
  outdir?: string;
  /** `<platform>-<arch>` of the machines to run on; default DEFAULT_TARGETS plus this machine's. */
  targets?: string[];
}

export interface EdgeBuild {
  outdir: string;
  /** Bytes per file, relative to outdir. */
  files: Map<string, number>;
  ms: number;
}

const hostTarget = () => `${process.platform}-${process.arch}`;

export async function buildEdge(opts: EdgeBuildOptions = {}): Promise<EdgeBuild> {
  const started = performance.now();
  const outdir = path.resolve(opts.outdir ?? path.join(ROOT, 'dist'));
  const targets = [...new Set(opts.targets ?? [...DEFAULT_TARGETS, hostTarget()])];
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  await rm(outdir, { recursive: true, force: true });

  const addons = new Map<string, string>();
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, 'build/gateway-entry.ts')],
    outfile: path.join(outdir, 'gateway.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    // Error and class names stay readable in logs; node-opcua also names classes in its messages.
    keepNames: true,
    sourcemap: 'linked',
    // Stack traces need names and positions, not the sources: without them the map is a fraction of the size.
    sourcesContent: false,
    legalComments: 'none', // THIRD-PARTY-NOTICES.txt has the full licence texts instead
    metafile: true,
    logLevel: 'warning',
    loader: { '.proto': 'text' },
    define: { LIANWANG_VERSION: JSON.stringify(pkg.version) },
    external: [...ALLOWED_EXTERNALS],
    banner: {
      js: [
        "import { createRequire as __lwCreateRequire } from 'node:module';",
        "import { fileURLToPath as __lwFileURLToPath } from 'node:url';",
        "import { dirname as __lwDirname } from 'node:path';",
        'const require = __lwCreateRequire(import.meta.url);',
        'const __filename = __lwFileURLToPath(import.meta.url);',
        'const __dirname = __lwDirname(__filename);',
      ].join('\n'),
    },
    plugins: [nativeAddons(addons), embedSourceFiles()],
  });
  checkExternals(result.metafile);

  for (const [name, dir] of addons)
    await copyPrebuilds(name, dir, path.join(outdir, nativeDir(name)), targets);
  await writeFile(
    path.join(outdir, 'package.json'),
    `${JSON.stringify({ name: 'lianwang-gateway', version: pkg.version, type: 'module', private: true }, null, 2)}\n`,
  );
  await writeFile(
    path.join(outdir, 'THIRD-PARTY-NOTICES.txt'),
    await thirdPartyNotices(ROOT, result.metafile),
  );
  return { outdir, files: await sizes(outdir), ms: performance.now() - started };
}

/** Only Node's built-ins (and the allowed never-reached imports) may be left to resolve at run time. */
function checkExternals(metafile: Metafile): void {
  const builtins = new Set(builtinModules);
  const left = new Set<string>();
  for (const output of Object.values(metafile.outputs))
    for (const i of output.imports)
      if (i.external && !builtins.has(i.path.replace(/^node:/, '')) && !ALLOWED_EXTERNALS.has(i.path))
        left.add(i.path);
  if (left.size) throw new Error(`the bundle would need node_modules for: ${[...left].join(', ')}`);
}

/**
 * Copies `prebuilds/<platform>-<archs>` directories (node-gyp-build's layout; macOS ships one
 * `darwin-x64+arm64`) that serve a target. Every target must be served by every addon.
 */
async function copyPrebuilds(name: string, pkgDir: string, dest: string, targets: string[]): Promise<void> {
  const available = await readdir(path.join(pkgDir, 'prebuilds'));
  const serves = (dir: string, target: string) => {
    const [platform, archs = ''] = dir.split('-');
    const [tp, ta] = target.split('-');
    return platform === tp && archs.split('+').includes(ta ?? '');
  };
  const all = targets.includes('all');
  for (const target of all ? [] : targets)
    if (!available.some((d) => serves(d, target)))
      throw new Error(`${name} has no prebuild for ${target} (it has ${available.join(', ')})`);
  for (const dir of available)
    if (all || targets.some((t) => serves(dir, t)))
      await cp(path.join(pkgDir, 'prebuilds', dir), path.join(dest, 'prebuilds', dir), { recursive: true });
}

async function sizes(dir: string, prefix = ''): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = path.posix.join(prefix, e.name);
    if (e.isDirectory()) for (const [k, v] of await sizes(path.join(dir, e.name), rel)) out.set(k, v);
    else out.set(rel, (await stat(path.join(dir, e.name))).size);
  }
  return out;
}

/** Relative to the working directory when inside it, else absolute. */
function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') ? p : rel;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

/** The build's report: the files that matter, the native prebuilds summed per addon, the total and the time. */
export function summary(b: EdgeBuild): string {
  const groups = new Map<string, number>();
  for (const [file, size] of b.files) {
    const key = file.startsWith('native/') ? file.split('/prebuilds/')[0] + '/prebuilds/' : file;
    groups.set(key, (groups.get(key) ?? 0) + size);
  }
  const total = [...b.files.values()].reduce((a, s) => a + s, 0);
  const width = Math.max(...[...groups.keys()].map((k) => k.length));
  const rel = displayPath(b.outdir);
  return [
    ...[...groups].map(([k, v]) => `  ${path.posix.join(rel, k).padEnd(width + rel.length + 1)}  ${mb(v)}`),
    `  total ${mb(total)} in ${b.files.size} files, built in ${(b.ms / 1000).toFixed(1)} s`,
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' }, targets: { type: 'string' } } });
  const targets = values.targets
    ?.split(',')
    .map((t) => (t === 'host' ? hostTarget() : t.trim()))
    .filter(Boolean);
  try {
    const b = await buildEdge({
      ...(values.outdir ? { outdir: values.outdir } : {}),
      ...(targets ? { targets } : {}),
    });
    console.log(
      `edge gateway bundle:\n${summary(b)}\nrun: node ${path.join(displayPath(b.outdir), 'gateway.js')} <gateway.yaml>`,
    );
  } catch (err) {
    // esbuild has printed its own errors already; ours are one line.
    if (!(err instanceof Error && 'errors' in err)) console.error(`build failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}

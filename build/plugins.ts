/**
 * esbuild plugins for the edge bundle (build/edge.ts). Each one solves a way in which code finds
 * files next to itself at run time — which stops working once everything is one file in dist/.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plugin } from 'esbuild';

/** A native addon the gateway needs, loaded through node-gyp-build from its package's `prebuilds/`. */
export interface NativeAddon {
  /** The npm package that ships the prebuilds. */
  pkg: string;
  /** Its file that calls `require('node-gyp-build')(dir)`, relative to the package. */
  loader: string;
  /** Why the gateway needs it: the start of the error when no prebuild fits the machine. */
  neededFor: string;
}

/**
 * Every native addon in the gateway's dependency graph (checked: a build that meets another
 * `node-gyp-build` caller fails and names it). node-opcua 2.182 pulls in none: its crypto and PKI
 * are JavaScript (node:crypto, @peculiar/x509); it only spawns `openssl` for PKI operations the
 * gateway does not use.
 */
export const NATIVE_ADDONS: readonly NativeAddon[] = [
  {
    pkg: 'classic-level',
    loader: 'binding.js',
    neededFor: 'The disk buffer (store-and-forward) needs LevelDB, the native module of classic-level',
  },
  {
    // serialport loads it when modbus-serial is imported (inside a try/catch), i.e. by every
    // Modbus gateway, but only Modbus RTU calls into it.
    pkg: '@serialport/bindings-cpp',
    loader: 'dist/serialport-bindings.js',
    neededFor: 'Modbus RTU needs the serialport native module (@serialport/bindings-cpp)',
  },
];

/** Where the bundle looks for an addon's prebuilds, relative to gateway.js. */
export const nativeDir = (pkg: string) => path.posix.join('native', pkg);

/**
 * node-gyp-build is called with the loader's `__dirname` and looks for
 * `<dir>/prebuilds/<platform>-<arch>/*.node`. Bundled, `__dirname` is dist/ for every module,
 * so each loader's `require('node-gyp-build')` is sent to a small module of ours that ignores the
 * argument and loads from `<bundle dir>/native/<pkg>` instead (build/edge.ts copies the prebuilds
 * there, in the layout node-gyp-build expects, so its choice of glibc/musl/armv7 still applies).
 *
 * If no prebuild fits the machine, the addon's object is a stand-in that throws a clear error on
 * first use rather than at import: serialport is imported by every Modbus gateway, and esbuild's
 * CommonJS wrapper, unlike Node's require, keeps a module that threw half-initialised, so a
 * throw at import would surface later as "SerialPort is not a constructor". A Modbus TCP
 * gateway thus runs without a serialport prebuild; an RTU device reports the error as its
 * offline reason.
 *
 * `found` collects each addon's package directory as bundled, for copying its prebuilds.
 */
export function nativeAddons(found: Map<string, string>): Plugin {
  return {
    name: 'lianwang-native-addons',
    setup(build) {
      build.onResolve({ filter: /^node-gyp-build$/ }, (args) => {
        if (args.namespace === 'lianwang-native') return undefined; // our loader uses the real one
        const addon = NATIVE_ADDONS.find((a) =>
          args.importer.endsWith(path.join('node_modules', a.pkg, a.loader)),
        );
        if (!addon)
          return {
            errors: [
              {
                text:
                  `${args.importer} loads a native addon through node-gyp-build: add it to NATIVE_ADDONS ` +
                  'in build/plugins.ts (its prebuilds must be copied next to the bundle)',
              },
            ],
          };
        found.set(addon.pkg, args.importer.slice(0, -addon.loader.length - 1));
        return { path: addon.pkg, namespace: 'lianwang-native' };
      });
      build.onLoad({ filter: /.*/, namespace: 'lianwang-native' }, (args) => {
        const addon = NATIVE_ADDONS.find((a) => a.pkg === args.path);
        if (!addon) return undefined;
        return {
          contents: loaderSource(addon),
          loader: 'js',
          resolveDir: build.initialOptions.absWorkingDir,
        };
      });
      // Addons loaded any other way (`require('./build/Release/x.node')`, the `bindings` package) fail
      // the build instead of the gateway at run time.
      build.onResolve({ filter: /\.node$|^bindings$/ }, (args) => ({
        errors: [{ text: `${args.importer} loads a native addon (${args.path}) the edge build cannot copy` }],
      }));
    },
  };
}

/** CommonJS, like the loaders it replaces. `__dirname` is the bundle's (see the banner in edge.ts). */
function loaderSource(addon: NativeAddon): string {
  return `
const load = require('node-gyp-build');
const path = require('node:path');
module.exports = function loadPrebuilt() {
  const dir = path.join(__dirname, ${JSON.stringify(nativeDir(addon.pkg))});
  try {
    return load(dir);
  } catch (cause) {
    const target = process.platform + '-' + process.arch;
    const error = new Error(
      ${JSON.stringify(addon.neededFor)} + ': no prebuild for ' + target + ' in ' + dir +
        '. Rebuild the bundle with \`npm run build -- --targets ' + target +
        '\`, or install lianwang from npm.',
      { cause },
    );
    return new Proxy({}, {
      get(_target, key) {
        if (typeof key === 'symbol' || key === 'then') return undefined;
        throw error;
      },
    });
  }
};
`;
}

/**
 * wire/sparkplug/proto.ts reads sparkplug_b.proto beside itself at first use
 * (`readFileSync(new URL('./sparkplug_b.proto', import.meta.url), 'utf8')`): that one schema stays the
 * single source of truth for the tsx-run code. In the bundle `import.meta.url` is gateway.js, so this
 * rewrites the read into an import of the file as text (esbuild's `text` loader): the schema is
 * embedded and proto.ts stays unchanged. Any other `import.meta.url` in project code fails the build,
 * since it would point at the bundle, not at the source file.
 */
export function embedSourceFiles(): Plugin {
  const read =
    /readFileSync\(\s*new URL\(\s*(['"])(\.\/[^'"]+\.proto)\1\s*,\s*import\.meta\.url\s*\)\s*,\s*['"]utf-?8['"]\s*\)/g;
  return {
    name: 'lianwang-embed-source-files',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta')) return undefined;
        const imports: string[] = [];
        const contents = source.replace(read, (_match, _quote: string, file: string) => {
          const name = `__embedded${imports.length}`;
          imports.push(`import ${name} from ${JSON.stringify(file)};`);
          return name;
        });
        const line = contents.split('\n').findIndex((l) => l.includes('import.meta'));
        if (line >= 0)
          return {
            errors: [
              {
                text: 'import.meta in bundled code points at dist/gateway.js, not at this file',
                location: {
                  file: args.path,
                  line: line + 1,
                  column: 0,
                  lineText: contents.split('\n')[line],
                },
                notes: [{ text: 'embed the file it reads (see embedSourceFiles in build/plugins.ts)' }],
              },
            ],
          };
        return { contents: `${imports.join('\n')}\n${contents}`, loader: 'ts' };
      });
    },
  };
}

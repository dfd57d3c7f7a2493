/**
 * THIRD-PARTY-NOTICES.txt for the edge bundle: minifying drops the licence headers, and most
 * licences (MIT, BSD, Apache-2.0) ask that the notice travels with redistributed code. One section
 * per bundled package (from esbuild's metafile): name, version, declared licence, licence file text.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Metafile } from 'esbuild';

const PACKAGE_DIR = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//;
const LICENCE_FILE = /^(licen[cs]e|copying|notice)(\..*)?$/i;

export async function thirdPartyNotices(root: string, metafile: Metafile): Promise<string> {
  const dirs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const m = PACKAGE_DIR.exec(input.replace(/\\/g, '/'));
    if (m?.[1]) dirs.add(m[1]);
  }
  const sections: string[] = [];
  for (const dir of [...dirs].sort()) {
    const abs = path.join(root, dir);
    const pkg = JSON.parse(await readFile(path.join(abs, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
      /** The pre-2015 form some old packages still use. */
      licenses?: { type?: string }[];
    };
    const licence = pkg.license ?? pkg.licenses?.map((l) => l.type).join(' OR ');
    const files = (await readdir(abs)).filter((f) => LICENCE_FILE.test(f)).sort();
    const texts = await Promise.all(files.map((f) => readFile(path.join(abs, f), 'utf8')));
    sections.push(
      [
        `${pkg.name}@${pkg.version} — ${licence || 'licence not declared'}`,
        texts.length ? texts.map((t) => t.trim()).join('\n\n') : '(no licence file in the package)',
      ].join('\n\n'),
    );
  }
  return ['lianwang edge gateway (gateway.js) bundles the following packages.', ...sections].join(
    `\n\n${'='.repeat(78)}\n\n`,
  );
}

/** `lianwang schema [--write|--check]`: regenerate or verify config/schema/*.json and the option reference in docs/configuration.md. */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { renderSchema, SCHEMAS } from '../../config/schema/json.ts';
import { formattedWithReference } from '../../config/schema/reference.ts';

const dir = new URL('../../config/schema/', import.meta.url);

export async function schemaCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { write: { type: 'boolean' }, check: { type: 'boolean' } } });
  let stale = 0;
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    const file = new URL(name, dir);
    const text = renderSchema(name, schema);
    if (values.write) {
      await writeFile(file, text);
      console.log(`wrote config/schema/${name}`);
      continue;
    }
    const current = await readFile(file, 'utf8').catch(() => '');
    if (current !== text) {
      stale++;
      console.error(`config/schema/${name} is stale: run \`npm run schema\``);
    } else if (values.check) console.log(`config/schema/${name} is current`);
  }
  const docs = new URL('../../docs/configuration.md', import.meta.url);
  const doc = await readFile(docs, 'utf8');
  const next = await formattedWithReference(doc, docs.pathname);
  if (values.write) {
    if (next !== doc) await writeFile(docs, next);
    console.log('wrote the option reference in docs/configuration.md');
  } else if (next !== doc) {
    stale++;
    console.error('docs/configuration.md: the option reference is stale: run `npm run schema`');
  } else if (values.check) console.log('docs/configuration.md option reference is current');
  return stale ? 1 : 0;
}

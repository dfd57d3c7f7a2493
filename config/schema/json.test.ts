import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderSchema, SCHEMAS } from './json.ts';

describe('generated JSON Schemas', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`config/schema/${name} is current (run \`npm run schema\` if this fails)`, async () => {
      const onDisk = await readFile(new URL(name, import.meta.url), 'utf8');
      expect(onDisk).toBe(renderSchema(name, schema));
    });
  }

  it('plant.schema.json accepts the example plants and rejects a bad port', async () => {
    const schema = JSON.parse(
      await readFile(new URL('plant.schema.json', import.meta.url), 'utf8'),
    ) as object;
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    for (const file of ['config/plants/demo.yaml', 'config/plants/hebei.yaml']) {
      const ok = validate(parse(await readFile(file, 'utf8')));
      expect(validate.errors ?? [], file).toEqual([]);
      expect(ok).toBe(true);
    }
    const bad = parse(await readFile('config/plants/demo.yaml', 'utf8')) as {
      enterprises: { lines: { devices: { connectivity: { port?: number } }[] }[] }[];
    };
    const device = bad.enterprises[0]?.lines[0]?.devices[0];
    if (!device) throw new Error('demo.yaml changed shape');
    device.connectivity.port = 70000;
    expect(validate(bad)).toBe(false);
    expect(validate.errors?.some((e) => e.instancePath.endsWith('/connectivity/port'))).toBe(true);
  });
});

describe('docs/configuration.md option reference', () => {
  it('is current: every option of every schema, generated from the model', async () => {
    const { readFile } = await import('node:fs/promises');
    const { formattedWithReference } = await import('./reference.ts');
    const file = new URL('../../docs/configuration.md', import.meta.url);
    const doc = await readFile(file, 'utf8');
    expect(doc === (await formattedWithReference(doc, file.pathname)), 'stale: run `npm run schema`').toBe(
      true,
    );
    for (const option of ['mqtt.brokers', 'buffer.maxBytes', 'faults[].downMs', 'scenario.seed'])
      expect(doc).toContain(`\`${option}\``);
  });
});

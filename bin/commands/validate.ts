/** `lianwang validate <file…>`: exit 0 when every file is valid, 1 with every error otherwise. */
import { parseArgs } from 'node:util';
import { formatError, ledgerDevices, loadPlantFile } from '../../config/index.ts';

export async function validateCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { quiet: { type: 'boolean', short: 'q', default: false } },
  });
  if (positionals.length === 0) {
    console.error('lianwang validate: expected at least one plant file, e.g. config/plants/demo.yaml');
    return 2;
  }
  let failed = 0;
  for (const file of positionals) {
    const result = await loadPlantFile(file);
    if (!result.ok) {
      failed++;
      for (const e of result.errors) console.error(formatError(e));
      console.error(`${file}: ${result.errors.length} error(s)`);
      continue;
    }
    if (values.quiet) continue;
    const plant = result.value;
    let devices = 0;
    let digital = 0;
    let connected = 0;
    for (const d of ledgerDevices(plant)) {
      devices++;
      if (d.digital) digital++;
      if (d.connectivity.type !== 'none') connected++;
    }
    console.log(
      `${file}: ok — ${plant.enterprises.length} enterprises, ${devices} ledger devices ` +
        `(${digital} digital, ${connected} with a gateway connection)`,
    );
  }
  return failed ? 1 : 0;
}

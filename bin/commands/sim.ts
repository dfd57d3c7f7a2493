/**
 * `lianwang sim <plant.yaml>`: runs the simulated plant with a live table until SIGINT/SIGTERM.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { formatError, loadPlantFile } from '../../config/index.ts';
import { FaultsFile } from '../../config/model/faults.ts';
import { startControlServer } from '../../simulators/control/http.ts';
import { gatewayConfigs } from '../../simulators/runtime/emit.ts';
import { startSimulation } from '../../simulators/runtime/simulation.ts';
import { renderTable, summaryLine } from '../../simulators/runtime/table.ts';

export async function simCommand(args: string[]): Promise<number> {
  // Province-scale Sparkplug load without simulator sockets (docs/fleet.md).
  if (args.some((a) => a === '--fleet' || a.startsWith('--fleet=')))
    return (await import('./sim-fleet.ts')).simFleetCommand(args);
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      enterprise: { type: 'string' },
      line: { type: 'string' },
      speed: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      bind: { type: 'string', default: '::' },
      'control-port': { type: 'string', default: '15080' },
      pki: { type: 'string' },
      faults: { type: 'string' },
      'emit-gateway-config': { type: 'string' },
      'ephemeral-ports': { type: 'boolean', default: false },
      broker: { type: 'string', multiple: true },
    },
  });
  const file = positionals[0];
  if (!file) {
    console.error('lianwang sim: expected a plant file, e.g. lianwang sim config/plants/demo.yaml');
    return 2;
  }
  const loaded = await loadPlantFile(file);
  if (!loaded.ok) {
    for (const e of loaded.errors) console.error(formatError(e));
    return 1;
  }
  let extraFaults;
  if (values.faults) {
    const parsed = FaultsFile.safeParse(parse(await readFile(values.faults, 'utf8')));
    if (!parsed.success) {
      console.error(
        `${values.faults}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
      return 1;
    }
    extraFaults = parsed.data.faults;
  }
  console.error(`starting simulators for ${file}…`);
  const sim = await startSimulation({
    plant: loaded.value,
    ...(values.enterprise ? { enterprise: values.enterprise } : {}),
    ...(values.line ? { line: values.line } : {}),
    speed: Number(values.speed),
    seed: Number(values.seed),
    bindHost: values.bind,
    ephemeralPorts: values['ephemeral-ports'],
    ...(values.pki ? { pkiDir: values.pki } : {}),
    ...(extraFaults ? { faults: extraFaults } : {}),
  });
  const control = await startControlServer(sim, { port: Number(values['control-port']) });
  if (values['emit-gateway-config']) {
    const dir = values['emit-gateway-config'];
    await mkdir(dir, { recursive: true });
    const plantRef = path.relative(path.resolve(dir), path.resolve(file));
    for (const [enterprise, config] of gatewayConfigs(sim, {
      plantRef,
      ...(values.broker ? { brokers: values.broker } : {}),
    })) {
      const out = path.join(dir, `${enterprise}.yaml`);
      await writeFile(
        out,
        `# Written by lianwang sim --emit-gateway-config for ${file}\n${stringify(config)}`,
      );
      console.error(`wrote ${out}`);
    }
  }
  console.error(`${sim.devices.size} devices simulated; control API on ${control.url}`);

  const tty = process.stdout.isTTY;
  const draw = () => {
    if (tty)
      process.stdout.write(
        `\x1b[H\x1b[2J${summaryLine(sim)}\n\n${renderTable(sim, (process.stdout.rows || 40) - 5).join('\n')}\n`,
      );
    else console.log(summaryLine(sim));
  };
  draw();
  const timer = setInterval(draw, tty ? 1000 : 10_000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  console.error('stopping…');
  await control.close();
  await sim.stop();
  return 0;
}

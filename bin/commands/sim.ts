/**
 * `lianwang sim <plant.yaml>` runs the simulated plant; `lianwang sim fault|clear …` talks to a
 * running simulator's control API.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { formatError, loadPlantFile, parseDuration } from '../../config/index.ts';
import { FaultsFile } from '../../config/model/faults.ts';
import { startControlServer } from '../../simulators/control/http.ts';
import { startSimulation } from '../../simulators/runtime/simulation.ts';
import { renderTable, summaryLine } from '../../simulators/runtime/table.ts';

const DEFAULT_CONTROL = 'http://[::1]:15080';

export async function simCommand(args: string[]): Promise<number> {
  if (args[0] === 'fault' || args[0] === 'clear') return controlCommand(args[0], args.slice(1));
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
    ...(values.pki ? { pkiDir: values.pki } : {}),
    ...(extraFaults ? { faults: extraFaults } : {}),
  });
  const control = await startControlServer(sim, { port: Number(values['control-port']) });
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

async function controlCommand(verb: 'fault' | 'clear', args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      for: { type: 'string' },
      latency: { type: 'string' },
      code: { type: 'string' },
      down: { type: 'string' },
      control: { type: 'string', default: DEFAULT_CONTROL },
    },
  });
  const [device, fault] = positionals;
  if (!device || (verb === 'fault' && !fault)) {
    console.error(`usage: lianwang sim fault <device> <type> [--for 5m] [--latency ms] [--code 4|6] [--down ms]
       lianwang sim clear <device> [type]`);
    return 2;
  }
  if (values.for !== undefined && parseDuration(values.for) === undefined) {
    console.error(`--for: expected a duration like 90s or 5m, got "${values.for}"`);
    return 2;
  }
  const base = values.control;
  let res: Response;
  try {
    res =
      verb === 'fault'
        ? await fetch(`${base}/faults`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              device,
              fault,
              ...(values.for ? { for: values.for } : {}),
              ...(values.latency ? { latencyMs: Number(values.latency) } : {}),
              ...(values.code ? { exceptionCode: Number(values.code) } : {}),
              ...(values.down ? { downMs: Number(values.down) } : {}),
            }),
          })
        : await fetch(
            `${base}/faults?${new URLSearchParams({ device, ...(fault ? { fault } : {}) }).toString()}`,
            {
              method: 'DELETE',
            },
          );
  } catch (err) {
    console.error(
      `cannot reach the simulator's control API at ${base}: ${(err as Error).message} — is \`lianwang sim\` running?`,
    );
    return 1;
  }
  const body = await res.text();
  (res.ok ? console.log : console.error)(body);
  return res.ok ? 0 : 1;
}

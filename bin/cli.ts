import { BROKER_USAGE } from './commands/broker-usage.ts';
import { CLOUD_USAGE } from './commands/cloud-usage.ts';
import { DEMO_USAGE } from './demo/usage.ts';

/** Dispatch for the `lianwang` command: one entry per subcommand, each a thin call into a module. */
// Commands load lazily: `lianwang validate` must not pay for node-opcua's start-up.
const lazy =
  <M>(load: () => Promise<M>, pick: (m: M) => (args: string[]) => Promise<number>) =>
  async (args: string[]) =>
    pick(await load())(args);

export interface Command {
  summary: string;
  usage: string;
  run?: (args: string[]) => Promise<number>;
  /** Set while the subcommand is reserved: the issue that brings it. */
  comingIn?: string;
}

export const COMMANDS: Record<string, Command> = {
  validate: {
    summary: 'check plant files; print every error with file:line:column and path',
    usage: 'lianwang validate <file…>',
    run: lazy(
      () => import('./commands/validate.ts'),
      (m) => m.validateCommand,
    ),
  },
  schema: {
    summary: 'write or check the JSON Schemas in config/schema/ (generated from the config model)',
    usage: 'lianwang schema [--write | --check]',
    run: lazy(
      () => import('./commands/schema.ts'),
      (m) => m.schemaCommand,
    ),
  },
  sim: {
    summary: 'run machine simulators (Modbus TCP/RTU, OPC UA) for a plant file',
    usage:
      'lianwang sim <plant.yaml> [--enterprise id] [--line id] [--speed n] [--seed n] [--bind addr] [--control-port n] [--pki dir] [--faults file] [--ephemeral-ports] [--emit-gateway-config dir] [--broker url]\n' +
      '       lianwang sim fault <device> <type> [--for 5m] [--latency ms] [--code 4|6] [--down ms] [--control url]\n' +
      '       lianwang sim clear <device> [type] [--control url]',
    run: (args) =>
      args[0] === 'fault' || args[0] === 'clear'
        ? import('./commands/sim-control.ts').then((m) => m.simControlCommand(args))
        : import('./commands/sim.ts').then((m) => m.simCommand(args)),
  },
  gateway: {
    summary: 'run an edge gateway: poll Modbus, subscribe OPC UA, publish Sparkplug B',
    usage: 'lianwang gateway <gateway.yaml>   (SIGHUP reloads the file; LOG_LEVEL=debug for more)',
    run: lazy(
      () => import('./commands/gateway.ts'),
      (m) => m.gatewayCommand,
    ),
  },
  cloud: {
    summary: 'run ingest, the stores, the rates API and the dashboard',
    usage: CLOUD_USAGE,
    run: lazy(
      () => import('./commands/cloud.ts'),
      (m) => m.cloudCommand,
    ),
  },
  broker: {
    summary: 'run the embedded MQTT broker (TLS, access control, Redis cluster); hash-password for its file',
    usage: BROKER_USAGE,
    run: lazy(
      () => import('./commands/broker.ts'),
      (m) => m.brokerCommand,
    ),
  },
  demo: {
    summary: 'the end-to-end demo on embedded defaults (what `npm start` runs)',
    usage: DEMO_USAGE,
    run: lazy(
      () => import('./commands/demo.ts'),
      (m) => m.demoCommand,
    ),
  },
};

export function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, c]) => `  ${name.padEnd(width)}  ${c.summary}${c.comingIn ? ' (not yet available)' : ''}`,
  );
  return [
    'lianwang (联网) — networks factory machines and measures the networked rate of digital equipment',
    '',
    'Usage: lianwang <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `lianwang <command> --help` for a command’s options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(helpText());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    console.log(pkg.version);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`lianwang: unknown command "${name}"\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`Usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  if (!command.run) {
    console.error(`lianwang ${name}: not available yet — it arrives with ${command.comingIn}.`);
    return 2;
  }
  return command.run(rest);
}

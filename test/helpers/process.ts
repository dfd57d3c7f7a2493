import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { waitFor } from './wait.ts';

const TAIL_LINES = 200;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves once the process has exited (or failed to spawn). Never rejects. */
  readonly exited: Promise<Exit>;
  /** Aborted when the process exits; its reason says how. */
  readonly exitSignal: AbortSignal;
  /** The last ~200 lines of stdout and stderr, interleaved. */
  tail(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

// Children still running when the test worker exits are killed, so a crashed run leaves no servers behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Spawns `command` with its output kept in a ring buffer for error messages. */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): ManagedProcess {
  const lines: string[] = [];
  const tail = () => lines.join('\n');
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
    });
  }

  const controller = new AbortController();
  const exited = new Promise<Exit>((resolve) => {
    const finish = (exit: Exit) => {
      running.delete(child);
      const how = exit.error
        ? `failed: ${exit.error.message}`
        : `exited (code ${exit.code}, signal ${exit.signal})`;
      controller.abort(new Error(`${name} ${how}`));
      resolve(exit);
    };
    child.once('exit', (code, signal) => finish({ code, signal }));
    child.once('error', (error) => finish({ code: null, signal: null, error }));
  });

  return {
    name,
    child,
    exited,
    exitSignal: controller.signal,
    tail,
    async stop(graceMs = 5_000) {
      if (controller.signal.aborted) return;
      child.kill('SIGTERM');
      if (await exitsWithin(exited, graceMs)) return;
      child.kill('SIGKILL');
      if (await exitsWithin(exited, graceMs)) return;
      throw new Error(`${name} (pid ${child.pid}) survived SIGKILL${withTail(tail())}`);
    },
  };
}

/**
 * Polls `ready` until it holds. If the deadline passes or the process exits first, stops the process
 * and throws with the reason and the process's last output.
 */
export async function untilReady(
  proc: ManagedProcess,
  ready: () => Promise<boolean> | boolean,
  { what, timeoutMs = 20_000 }: { what: string; timeoutMs?: number },
): Promise<void> {
  try {
    await waitFor(ready, { what, timeoutMs, signal: proc.exitSignal });
  } catch (err) {
    await proc.stop().catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`${proc.name} did not become ready: ${reason}${withTail(proc.tail())}`, { cause: err });
  }
}

function withTail(tail: string): string {
  return `\n--- last output of the process ---\n${tail || '(none)'}`;
}

async function exitsWithin(exited: Promise<Exit>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([exited.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

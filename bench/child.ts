/** Runs `lianwang …` as a child process for benchmarks, waiting for a line on stderr/stdout. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

export interface Child {
  proc: ChildProcessWithoutNullStreams;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export async function startChild(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<Child> {
  const proc = spawn(process.execPath, ['bin/lianwang.js', ...args], { env: { ...process.env, ...env } });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      log = (log + c.toString()).slice(-20_000);
      if (ready.test(log)) resolve();
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`lianwang ${args[0]} exited (${code}): ${log}`)));
  });
  return {
    proc,
    pid: proc.pid ?? 0,
    output: () => log,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

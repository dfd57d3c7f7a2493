import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireBinary } from './binaries.ts';
import type { SkipContext } from './servers.ts';

/**
 * The path of a client tool a test drives (mbpoll, python3 with pymodbus, socat). Missing:
 * a skip naming the install command outside CI, a failure under CI=true.
 */
export function tool(ctx: SkipContext, name: string, installHint: string): string {
  const found = requireBinary(name, installHint);
  if (!found.found) ctx.skip(found.message);
  return found.path;
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`); never throws on a non-zero exit. */
export async function run(cmd: string, args: string[], timeoutMs = 15_000): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(cmd, args, { timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? e.message,
    };
  }
}

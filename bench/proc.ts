/** Process CPU and memory from /proc, for benchmarks of child processes. */
import { readFile } from 'node:fs/promises';

const TICKS = 100; // USER_HZ on Linux

export interface ProcSample {
  cpuSeconds: number;
  rssMb: number;
}

export async function sampleProc(pid: number): Promise<ProcSample> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSeconds: (utime + stime) / TICKS, rssMb: rssKb / 1024 };
}

import { describe, expect, it } from 'vitest';
import { startProcess, untilReady } from './process.ts';
import { waitFor } from './wait.ts';

const node = (script: string) => [process.execPath, ['-e', script]] as const;

describe('waitFor', () => {
  it('returns as soon as the condition holds', async () => {
    let calls = 0;
    await waitFor(() => ++calls === 3, { what: 'the third call', intervalMs: 1 });
    expect(calls).toBe(3);
  });

  it('times out naming what it waited for and the last error', async () => {
    const failing = () => {
      throw new Error('connection refused');
    };
    await expect(waitFor(failing, { what: 'the server', timeoutMs: 50, intervalMs: 10 })).rejects.toThrow(
      'timed out after 50ms waiting for the server; last error: connection refused',
    );
  });
});

describe('startProcess', () => {
  it('escalates to SIGKILL when the process ignores SIGTERM', async () => {
    const proc = startProcess(
      'stubborn',
      ...node(
        "process.on('SIGTERM', () => console.log('ignoring TERM')); console.log('ready'); setInterval(() => {}, 1000)",
      ),
    );
    await waitFor(() => proc.tail().includes('ready'), { what: 'the process to print ready' });
    await proc.stop(200);
    expect(await proc.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(proc.tail()).toBe('ready\nignoring TERM');
  });

  it('untilReady fails at once when the process exits, with its last output', async () => {
    const proc = startProcess('broken', ...node("console.error('bad config line 3'); process.exit(3)"));
    const started = Date.now();
    await expect(untilReady(proc, () => false, { what: 'never', timeoutMs: 10_000 })).rejects.toThrow(
      /broken did not become ready: broken exited \(code 3, signal null\)\n--- last output of the process ---\nbad config line 3/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

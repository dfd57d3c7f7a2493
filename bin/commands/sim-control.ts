/** `lianwang sim fault|clear …`: talks to a running simulator's control API (default http://[::1]:15080). */
import { parseArgs } from 'node:util';
import { parseDuration } from '../../config/model/faults.ts';

const DEFAULT_CONTROL = 'http://[::1]:15080';

export async function simControlCommand(all: string[]): Promise<number> {
  const verb = all[0] === 'clear' ? 'clear' : 'fault';
  const args = all.slice(1);
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

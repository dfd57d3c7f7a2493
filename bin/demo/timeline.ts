/**
 * The demo's scripted story: simulator faults and uplink cuts on wall-clock time since the demo
 * came up (config/demo/timeline.yaml). Unlike a plant's `faults:` (simulated time, simulator
 * only), an event here can also cut an enterprise's uplink, which lives in the demo's wiring
 * — so the schema lives here, next to its only user, not in config/model/.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { findDevice, type Plant } from '../../config/index.ts';
import { Duration, FAULT_TYPES, type FaultType } from '../../config/model/faults.ts';

const At = Duration.describe('Wall-clock time since the demo came up (every component started).');
const For = Duration.describe('How long it lasts; omitted = until the demo stops.');

const DeviceFault = z.strictObject({
  at: At,
  device: z.string().min(1).describe('Device id, or "<enterprise>/<device>" when ids repeat.'),
  fault: z.enum(FAULT_TYPES),
  for: For.optional().describe('How long; omitted = until the demo stops (restart: ignored).'),
  latencyMs: z.int().min(0).max(600_000).optional().describe('slow: added latency per answer.'),
  exceptionCode: z
    .union([z.literal(4), z.literal(6)])
    .optional()
    .describe('exception: Modbus exception 4 or 6.'),
  downMs: z.int().min(0).max(600_000).optional().describe('restart: time the server stays down.'),
  say: z.string().optional().describe('Printed with the event: what the audience should watch.'),
});

const UplinkCut = z.strictObject({
  at: At,
  uplink: z.string().min(1).describe('Enterprise id: its gateway loses the connection to the broker.'),
  for: For.optional(),
  say: z.string().optional(),
});

export const TimelineFile = z.strictObject({
  repeat: Duration.refine((ms) => ms > 0, 'repeat must be longer than 0')
    .optional()
    .describe('Start the story over after this long; omitted = play once.'),
  events: z.array(z.union([DeviceFault, UplinkCut])),
});
export type TimelineFile = z.output<typeof TimelineFile>;
export type TimelineEvent = TimelineFile['events'][number];

/** What the timeline does to the running demo. */
export interface TimelineActions {
  fault(
    device: string,
    spec: { type: FaultType; latencyMs?: number; exceptionCode?: 4 | 6; downMs?: number },
  ): void;
  clear(device: string, type: FaultType): void;
  cut(enterprise: string): void;
  restore(enterprise: string): void;
}

/** Reads and checks a timeline against the plant; every problem is returned at once. */
export async function loadTimeline(
  file: string,
  plant: Pick<Plant, 'enterprises'>,
): Promise<{ ok: true; value: TimelineFile } | { ok: false; errors: string[] }> {
  let raw: unknown;
  try {
    raw = parse(await readFile(file, 'utf8'));
  } catch (err) {
    return { ok: false, errors: [`${file}: ${(err as Error).message}`] };
  }
  const parsed = TimelineFile.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(root)'}: ${i.message}`),
    };
  const errors = checkTimeline(parsed.data, plant).map((e) => `${file}: ${e}`);
  return errors.length ? { ok: false, errors } : { ok: true, value: parsed.data };
}

export function checkTimeline(t: TimelineFile, plant: Pick<Plant, 'enterprises'>): string[] {
  const errors: string[] = [];
  t.events.forEach((e, i) => {
    if ('device' in e) {
      const found = findDevice(plant, e.device);
      if (typeof found === 'string') errors.push(`events.${i}.device: ${found}`);
      else if (found.connectivity.type === 'none')
        errors.push(`events.${i}.device: ${e.device} is not connected: a fault would change nothing`);
    } else if (!plant.enterprises.some((x) => x.id === e.uplink)) {
      errors.push(
        `events.${i}.uplink: unknown enterprise "${e.uplink}"; known: ${plant.enterprises.map((x) => x.id).join(', ')}`,
      );
    }
    const end = endOf(e);
    if (t.repeat !== undefined && (end ?? Infinity) > t.repeat)
      errors.push(`events.${i}: must end (at + for) within repeat (${t.repeat / 1000}s)`);
  });
  return errors;
}

/** When an event ends (ms since the cycle start); undefined = never (a restart ends by itself). */
function endOf(e: TimelineEvent): number | undefined {
  if ('device' in e && e.fault === 'restart') return e.at;
  return e.for === undefined ? undefined : e.at + e.for;
}

/** One step of the story: an event beginning or ending, at ms since the cycle start. */
interface Step {
  at: number;
  begin: boolean;
  event: TimelineEvent;
}

const secs = (ms: number) => `${Math.round(ms / 1000)}s`;

/** A one-line description of a step, as printed when it happens. */
export function describeStep(event: TimelineEvent, begin: boolean): string {
  const restart = 'device' in event && event.fault === 'restart';
  const how = restart
    ? ` (down ${secs(event.downMs ?? 1000)})`
    : event.for === undefined
      ? ''
      : ` for ${secs(event.for)}`;
  const say = begin && event.say ? ` — ${event.say}` : '';
  if ('device' in event)
    return begin
      ? `device fault: ${event.device} ${event.fault}${how} (simulator)${say}`
      : `device recovered: ${event.device} (${event.fault} cleared)`;
  return begin
    ? `uplink cut: ${event.uplink}'s gateway loses the broker${how}; it buffers to disk${say}`
    : `uplink restored: ${event.uplink}'s gateway reconnects and replays its backlog`;
}

/**
 * Plays the timeline on wall-clock time with one timer at a time. `print` gets each step as it
 * happens, with the elapsed time; a step whose action throws is printed as a failure and the
 * story goes on.
 */
export class TimelinePlayer {
  readonly #steps: Step[];
  readonly #repeat: number | undefined;
  readonly #actions: TimelineActions;
  readonly #print: (elapsedMs: number, line: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #t0 = 0;
  #cycleStart = 0;
  #next = 0;

  constructor(
    file: TimelineFile,
    actions: TimelineActions,
    print: (elapsedMs: number, line: string) => void,
  ) {
    this.#repeat = file.repeat;
    this.#actions = actions;
    this.#print = print;
    this.#steps = file.events
      .flatMap((event): Step[] => {
        const end = endOf(event);
        return [
          { at: event.at, begin: true, event },
          ...(end === undefined || end === event.at ? [] : [{ at: end, begin: false, event }]),
        ];
      })
      // Ends before begins at the same instant: back-to-back events do not overlap.
      .sort((a, b) => a.at - b.at || Number(a.begin) - Number(b.begin));
  }

  start(t0 = Date.now()): void {
    this.#t0 = t0;
    this.#cycleStart = t0;
    this.#next = 0;
    this.#schedule();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Runs every step that is due, then sleeps until the next one. */
  #schedule(): void {
    for (;;) {
      const step = this.#steps[this.#next];
      if (!step) {
        if (this.#repeat === undefined || !this.#steps.length) return;
        this.#cycleStart += this.#repeat;
        this.#next = 0;
        continue;
      }
      const wait = this.#cycleStart + step.at - Date.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#schedule();
        }, wait);
        return;
      }
      this.#next++;
      this.#run(step);
    }
  }

  #run({ event, begin }: Step): void {
    const elapsed = Date.now() - this.#t0;
    try {
      if ('device' in event) {
        if (begin)
          this.#actions.fault(event.device, {
            type: event.fault,
            ...(event.latencyMs === undefined ? {} : { latencyMs: event.latencyMs }),
            ...(event.exceptionCode === undefined ? {} : { exceptionCode: event.exceptionCode }),
            ...(event.downMs === undefined ? {} : { downMs: event.downMs }),
          });
        else this.#actions.clear(event.device, event.fault);
      } else if (begin) this.#actions.cut(event.uplink);
      else this.#actions.restore(event.uplink);
      this.#print(elapsed, describeStep(event, begin));
    } catch (err) {
      this.#print(elapsed, `timeline step failed: ${describeStep(event, begin)}: ${(err as Error).message}`);
    }
  }
}

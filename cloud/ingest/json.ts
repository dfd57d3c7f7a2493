/**
 * The gateway's plain-JSON mode (for Node-RED and friends), read back by the cloud:
 *   lianwang/{enterprise}/{device}/data    {enterprise, device, time, values:{p:v|null}, times:{p:ms}, historical?}
 *   lianwang/{enterprise}/{device}/status  {state, reason?, since}  (retained)
 * No edge node id travels in this mode: samples and events carry node "json".
 */
import { validTopicToken } from '../../wire/sparkplug/index.ts';
import type { LinkEvent, Sample } from '../store/types.ts';

export const JSON_NODE = 'json';

export type JsonResult =
  | {
      ok: true;
      kind: 'json-data' | 'json-status';
      enterprise: string;
      device: string;
      samples: Sample[];
      events: LinkEvent[];
      dropped: Partial<Record<string, number>>;
    }
  | { ok: false; reason: 'bad_topic' | 'malformed_json'; detail: string };

const MIN_TIME = Date.UTC(2000, 0, 1);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** undefined for lianwang/… topics that are not ours to ingest (none today besides data/status). */
export function jsonMessage(
  topic: string,
  payload: Buffer,
  now: number,
  maxFutureMs: number,
): JsonResult | undefined {
  const parts = topic.split('/');
  const [, enterprise, device, leaf] = parts;
  if (
    parts.length !== 4 ||
    !enterprise ||
    !device ||
    !validTopicToken(enterprise) ||
    !validTopicToken(device)
  ) {
    return {
      ok: false,
      reason: 'bad_topic',
      detail: 'expected lianwang/{enterprise}/{device}/{data|status}',
    };
  }
  if (leaf !== 'data' && leaf !== 'status') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'malformed_json', detail: (err as Error).message };
  }
  if (!isObject(body)) return { ok: false, reason: 'malformed_json', detail: 'not a JSON object' };
  const base = {
    ok: true as const,
    enterprise,
    device,
    samples: [] as Sample[],
    events: [] as LinkEvent[],
    dropped: {},
  };
  if (leaf === 'status') {
    const since = typeof body.since === 'number' && Number.isSafeInteger(body.since) ? body.since : now;
    if (typeof body.state !== 'string')
      return { ok: false, reason: 'malformed_json', detail: 'status without a state' };
    const type = body.state === 'online' || body.state === 'degraded' ? 'DBIRTH' : 'DDEATH';
    return {
      ...base,
      kind: 'json-status',
      events: [{ time: since, type, enterprise, node: JSON_NODE, device }],
    };
  }
  const { values, times } = body;
  if (!isObject(values) || !isObject(times)) {
    return { ok: false, reason: 'malformed_json', detail: 'data needs "values" and "times" objects' };
  }
  const dropped: Record<string, number> = {};
  const historical = body.historical === true;
  for (const [metric, v] of Object.entries(values)) {
    const time = times[metric];
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < MIN_TIME) {
      dropped.bad_timestamp = (dropped.bad_timestamp ?? 0) + 1;
      continue;
    }
    if (time > now + maxFutureMs) {
      dropped.future_timestamp = (dropped.future_timestamp ?? 0) + 1;
      continue;
    }
    if (v !== null && typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'string') {
      dropped.unsupported_type = (dropped.unsupported_type ?? 0) + 1;
      continue;
    }
    base.samples.push({
      enterprise,
      node: JSON_NODE,
      device,
      metric,
      time,
      value: v,
      good: v !== null,
      historical,
    });
  }
  return { ...base, kind: 'json-data', dropped };
}

/**
 * Session-level pieces of Sparkplug B (spec 3.0 chapter 5; STATE: §4.2.3): sequence
 * numbers, well-known metric names, and the host application's JSON STATE payload.
 */
import { SparkplugDecodeError } from './errors.ts';

/** Metric a host writes true (NCMD) to ask an edge node to publish its births again. */
export const NODE_CONTROL_REBIRTH = 'Node Control/Rebirth';
/** Birth/death sequence metric: in the NDEATH Will and the matching NBIRTH. */
export const BD_SEQ = 'bdSeq';

/** seq and bdSeq both count 0..255 and wrap. */
export const nextSeq = (n: number): number => (n + 1) % 256;

export interface HostState {
  online: boolean;
  /** Milliseconds since the epoch, UTC. */
  timestamp: number;
}

/** STATE payload: UTF-8 JSON {"online":bool,"timestamp":ms}, published retained at QoS 1. */
export function encodeState(s: HostState): Uint8Array {
  if (typeof s.online !== 'boolean' || !Number.isSafeInteger(s.timestamp) || s.timestamp < 0) {
    throw new TypeError(`STATE needs a boolean online and a ms timestamp, got ${JSON.stringify(s)}`);
  }
  return new TextEncoder().encode(JSON.stringify({ online: s.online, timestamp: s.timestamp }));
}

const MAX_STATE_BYTES = 4096;

/** STATE bytes → HostState; throws SparkplugDecodeError for anything else. */
export function decodeState(bytes: Uint8Array): HostState {
  if (!(bytes instanceof Uint8Array)) throw new SparkplugDecodeError('STATE payload is not a byte array');
  if (bytes.length > MAX_STATE_BYTES)
    throw new SparkplugDecodeError(`STATE payload over ${MAX_STATE_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new SparkplugDecodeError('STATE payload is not UTF-8 JSON', { cause: e });
  }
  if (typeof v !== 'object' || v === null)
    throw new SparkplugDecodeError('STATE payload is not a JSON object');
  const { online, timestamp } = v as Record<string, unknown>;
  if (typeof online !== 'boolean') throw new SparkplugDecodeError('STATE online is not a boolean');
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new SparkplugDecodeError('STATE timestamp is not a ms timestamp');
  }
  return { online, timestamp };
}

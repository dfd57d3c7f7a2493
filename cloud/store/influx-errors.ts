/**
 * How the InfluxDB store tells failures apart: worth another attempt (the server is down,
 * restarting or overloaded), final (the request's fault), or a partial write whose dropped
 * points were beyond the retention policy anyway.
 */
import { messageOf } from './common.ts';
import { InfluxHttpError } from './influx-http.ts';

// Errors worth another attempt: the server is down, restarting or overloaded (node-influx turns
// 5xx answers and timeouts into ServiceNotAvailableError). A 4xx is the request's fault: final.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);

/** The HTTP status of a write (InfluxHttpError) or of a node-influx RequestError (4xx; 5xx become ServiceNotAvailableError). */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof InfluxHttpError) return err.status;
  const status = (err as { res?: { statusCode?: unknown } } | null)?.res?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * InfluxDB stores the rest of a batch and drops points older than the retention policy with a
 * 400 "partial write: points beyond retention policy dropped=N". Those points would be deleted
 * anyway, so this is success (logged), not a failure that retrying could ever fix.
 */
export function droppedByRetention(err: unknown): number | undefined {
  if (statusOf(err) !== 400) return undefined;
  const m = /partial write: points beyond retention policy dropped=(\d+)/.exec(messageOf(err));
  return m ? Number(m[1]) : undefined;
}

export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (
    (typeof code === 'string' && TRANSIENT_CODES.has(code)) ||
    err.name === 'ServiceNotAvailableError' ||
    (err instanceof InfluxHttpError && err.status >= 500)
  );
}

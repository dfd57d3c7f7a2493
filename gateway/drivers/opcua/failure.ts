// Short, stable reasons for device states from node-opcua's wordy errors.

/**
 * A short reason for a device state, from node-opcua's wordy errors: "connect failed: ECONNREFUSED",
 * "connect failed: timeout", a StatusCode name ("BadUserAccessDenied"), else the first line.
 */
export function describeFailure(err: unknown): string {
  const message = errorMessage(err);
  const errno = /\b(E[A-Z]{3,}[A-Z_]*)\b/.exec(message)?.[1];
  if (errno) return `connect failed: ${errno}`;
  const status = /\b((?:Bad|Uncertain)[A-Z][A-Za-z]+)\b/.exec(message)?.[1];
  if (status) return status;
  if (/timed out|Timeout\(|waiting for data on socket/i.test(message)) return 'connect failed: timeout';
  const inner = /Err = \((.+)\)\s*$/s.exec(message)?.[1] ?? message;
  const first = inner.split('\n')[0]?.trim() ?? '';
  return first.length > 160 ? `${first.slice(0, 157)}…` : first || 'unknown error';
}

export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause =
    err.cause instanceof Error && !err.message.includes(err.cause.message) ? ` (${err.cause.message})` : '';
  return `${err.message}${cause}`;
}

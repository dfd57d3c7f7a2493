/**
 * The one error a Sparkplug decoder throws. Ingest catches it, counts it and (for a node it
 * knows) may ask for a rebirth; anything else escaping a decoder would be a bug.
 */
export class SparkplugDecodeError extends Error {
  override name = 'SparkplugDecodeError';
  /** Why the input was rejected, e.g. 'too many metrics'. */
  readonly reason: string;

  constructor(reason: string, options?: ErrorOptions) {
    super(`sparkplug decode: ${reason}`, options);
    this.reason = reason;
  }
}

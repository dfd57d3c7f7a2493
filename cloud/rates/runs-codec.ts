/**
 * The text form of one device's online runs in an availability snapshot (RunsRow.runs):
 *
 *   v1:<start>,<length>,<gap>,<length>,<gap>,<length>…
 *
 * bucket numbers in base 36: the first run's start, then each run's length and the gap from
 * its end to the next run's start (runs are disjoint and never touch, so gaps are ≥ 1). A
 * month of a device that is mostly online is a dozen characters; one that flaps every few
 * minutes about 6 characters a run. A device whose text would pass `maxChars` is split into
 * several parts, each starting from an absolute bucket, so every part restores on its own.
 */
import type { BucketRuns } from './availability.ts';

const VERSION = 'v1:';
/** Characters per part: well inside InfluxDB's 64 KB string fields, with room for JSON packing. */
export const MAX_PART_CHARS = 16_000;

/** The runs of `r` (bucket numbers, from its run array) as one or more text parts; none when empty. */
export function encodeRuns(r: Pick<BucketRuns, 'data' | 'n'>, maxChars = MAX_PART_CHARS): string[] {
  const parts: string[] = [];
  const d = r.data;
  let text = '';
  let prevEnd = -1;
  for (let i = 0; i < r.n; i++) {
    const start = d[i * 3]!;
    const end = d[i * 3 + 1]!;
    if (text !== '' && text.length > maxChars - 16) {
      parts.push(text);
      text = '';
    }
    text +=
      text === ''
        ? `${VERSION}${start.toString(36)},${(end - start).toString(36)}`
        : `,${(start - prevEnd).toString(36)},${(end - start).toString(36)}`;
    prevEnd = end;
  }
  if (text !== '') parts.push(text);
  return parts;
}

export class RunsFormatError extends Error {
  override readonly name = 'RunsFormatError';
}

/**
 * One part back to runs [s₀, e₀, s₁, e₁, …] (bucket numbers, ascending). Throws RunsFormatError
 * on anything but this module's output: a snapshot that cannot be read must not restore wrong runs.
 */
export function decodeRuns(text: string): number[] {
  if (!text.startsWith(VERSION))
    throw new RunsFormatError(`availability runs in an unknown format: ${JSON.stringify(text.slice(0, 16))}`);
  const out: number[] = [];
  let value = 0;
  let digits = 0;
  let k = 0; // index of the number being read: 0 start, odd lengths, even (> 0) gaps
  let pos = 0;
  let i = VERSION.length;
  const bad = (what: string) =>
    new RunsFormatError(`availability runs: ${what} at character ${i} of ${text.length}`);
  const take = () => {
    if (digits === 0) throw bad('an empty number');
    if (k === 0) pos = value;
    else if (k % 2 === 1) {
      if (value < 1) throw bad('an empty run');
      out.push(pos, pos + value);
      pos += value;
    } else {
      if (value < 1) throw bad('runs that touch');
      pos += value;
    }
    k++;
    value = 0;
    digits = 0;
  };
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44)
      take(); // ','
    else {
      const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 122 ? c - 87 : -1;
      if (digit < 0) throw bad(`character ${JSON.stringify(text[i])}`);
      value = value * 36 + digit;
      if (++digits > 7) throw bad('a number too large');
    }
  }
  take();
  if (k % 2 !== 0) throw bad('a start without a length');
  return out;
}

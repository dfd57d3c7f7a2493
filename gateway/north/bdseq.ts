/**
 * The Sparkplug birth/death sequence number survives restarts: it lives in the buffer
 * directory and is written atomically (temp file + rename) before each connection attempt.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function nextBdSeq(dir: string): Promise<number> {
  const file = path.join(dir, 'bdseq');
  const text = await readFile(file, 'utf8').catch(() => '');
  const last = Number.parseInt(text, 10);
  const next = Number.isInteger(last) && last >= 0 && last <= 255 ? (last + 1) % 256 : 0;
  await mkdir(dir, { recursive: true });
  await writeFile(`${file}.tmp`, `${next}\n`);
  await rename(`${file}.tmp`, file);
  return next;
}

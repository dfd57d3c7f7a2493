/** Building blocks shared by every config section. Messages here are what users read. */
import { isIP } from 'node:net';
import { z } from 'zod';

/** An identifier that is safe as a Sparkplug topic token, an InfluxDB tag and a URL segment. */
export const Id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
    error: 'expected an id: 1–64 of A–Z a–z 0–9 _ . -, starting with a letter or digit',
  })
  .describe('Identifier: letters, digits, "_", "." and "-" (max 64), no spaces or "/", "+", "#".');

export const intRange = (min: number, max: number) => {
  const error = `expected an integer ${min}–${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};

export const Port = intRange(1, 65535).describe('TCP port, 1–65535.');

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Strips the brackets of an IPv6 literal written URL-style, e.g. `[::1]` → `::1`. */
export const unbracket = (host: string): string =>
  host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;

/** A host name, an IPv4 literal or an IPv6 literal (with or without brackets). Stored unbracketed. */
export const Host = z
  .string()
  .refine((h) => isIP(unbracket(h)) !== 0 || HOSTNAME.test(h), {
    error: (iss) => `expected a host name or IPv4/IPv6 literal, got ${JSON.stringify(iss.input)}`,
  })
  .transform(unbracket)
  .describe('Host name, IPv4 literal or IPv6 literal (e.g. "fd6c:7761:6e67::10" or "[::1]").');

export const NonEmpty = z.string().min(1, { error: 'expected a non-empty string' });

/** Industries of the Hebei target (key industries) plus `other`. */
export const INDUSTRIES = [
  'steel',
  'equipment',
  'pharma',
  'building-materials',
  'photovoltaic',
  'other',
] as const;
export type Industry = (typeof INDUSTRIES)[number];

/** Turns zod issues into short messages a plant engineer can act on. */
import type { z } from 'zod';
import { type ConfigIssue, type PathSegment, suggest } from './errors.ts';

export function fromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  vocabulary: Iterable<string>,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const hint = suggest(key, vocabulary);
        out.push({
          path: [...path, key],
          atKey: true,
          message: `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
        });
      }
      continue;
    }
    out.push({ path, message: messageOf(issue) });
  }
  return out;
}

function messageOf(issue: z.core.$ZodIssue): string {
  const input: unknown = 'input' in issue ? issue.input : undefined;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined
        ? `required (${issue.expected})`
        : `expected ${issue.expected}, got ${show(input)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${show(input)}`;
    case 'invalid_union':
      {
        const { options, discriminator } = issue as { options?: unknown; discriminator?: unknown };
        if (Array.isArray(options)) {
          const value: unknown =
            typeof discriminator === 'string' && isRecord(input) ? input[discriminator] : input;
          return `expected one of ${options.map((v) => JSON.stringify(v)).join(', ')}, got ${show(value)}`;
        }
      }
      return issue.message;
    case 'too_small':
    case 'too_big':
    case 'invalid_format':
    case 'custom':
      return issue.message.startsWith('expected') && !issue.message.includes(', got ') && isPrimitive(input)
        ? `${issue.message}, got ${show(input)}`
        : issue.message;
    default:
      return issue.message;
  }
}

function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  const s = JSON.stringify(v) ?? typeof v;
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isPrimitive = (v: unknown): boolean => v !== undefined && (v === null || typeof v !== 'object');

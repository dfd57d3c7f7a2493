/** YAML parsing that keeps source positions, so every error can name file:line:column. */
import { readFile } from 'node:fs/promises';
import {
  type Document,
  isNode,
  isPair,
  isScalar,
  LineCounter,
  type Node,
  parseDocument,
  Parser,
  visit,
} from 'yaml';
import type { ConfigError, ConfigIssue, PathSegment } from './errors.ts';

export interface SourceDocument {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

export interface ParsedYaml {
  source: SourceDocument;
  value: unknown;
  errors: ConfigError[];
}

/** The file's text, or a located error saying why it cannot be read. */
export async function readSource(file: string): Promise<string | ConfigError> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    return { file, line: 1, column: 1, path: [], message: `cannot read file (${code})` };
  }
}

/**
 * Collections nested deeper than this are refused before the document is composed: the yaml
 * library composes recursively, and a 20 KB file of `[[[[…` (a few thousand levels) ran it
 * out of stack inside a regular expression compilation, which V8 treats as a fatal
 * out-of-memory error that kills the process. Real configuration nests about 12 levels.
 */
export const MAX_YAML_DEPTH = 64;

export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = lineStarts(text);
  const deep = tooDeep(text);
  if (deep !== undefined) {
    const pos = lines.linePos(deep);
    const message = `YAML: collections nested deeper than ${MAX_YAML_DEPTH} levels`;
    return {
      source: { file, doc: parseDocument(''), lines },
      value: undefined,
      errors: [{ file, line: pos.line, column: pos.col, path: [], message }],
    };
  }
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const errors: ConfigError[] = [...doc.errors, ...doc.warnings].map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return { file, line: pos.line, column: pos.col, path: [], message: `YAML: ${firstLine(e.message)}` };
  });
  let value: unknown;
  if (!doc.errors.length) {
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      // Aliases expanding beyond maxAliasCount (a "billion laughs"): a located error, not a throw.
      let at = 0;
      visit(doc, {
        Alias(_, node) {
          at = node.range?.[0] ?? 0;
          return visit.BREAK;
        },
      });
      const pos = lines.linePos(at);
      const message = `YAML: ${firstLine(e instanceof Error ? e.message : String(e))}`;
      errors.push({ file, line: pos.line, column: pos.col, path: [], message });
    }
  }
  return { source: { file, doc, lines }, value, errors };
}

/** The offset of the first collection nested deeper than MAX_YAML_DEPTH, walking the CST without recursion. */
function tooDeep(text: string): number | undefined {
  interface Token {
    type?: string;
    offset?: number;
    value?: unknown;
    items?: { key?: unknown; value?: unknown }[];
  }
  const stack: [Token, number][] = [];
  for (const token of new Parser().parse(text)) stack.push([token, 0]);
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [t, outer] = next;
    const collection = t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection';
    const depth = collection ? outer + 1 : outer;
    if (depth > MAX_YAML_DEPTH) return t.offset ?? 0;
    const children = [t.value, ...(t.items ?? []).flatMap((i) => [i.key, i.value])];
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push([c, depth]);
  }
  return undefined;
}

/**
 * Line starts taken from the text itself. The yaml library's own LineCounter is fed by its
 * parser, which skips some newlines while recovering from errors (`\t- a\n$\n b: c` lost the
 * second), placing every later error on the wrong line.
 */
function lineStarts(text: string): LineCounter {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return lines;
}

const firstLine = (s: string) => s.split('\n')[0] ?? s;

/**
 * Finds where `issue.path` is in the document: the value's position, or the key's for
 * `atKey` issues (unknown fields). Missing tails fall back to the nearest existing
 * parent; issues about generated content fall back to `fallback` (e.g. the scenario).
 */
export function locate(
  src: SourceDocument,
  issue: ConfigIssue,
  fallback?: PathSegment[],
): Pick<ConfigError, 'line' | 'column'> {
  const target = issue.generated && fallback ? fallback : issue.path;
  let node: unknown = src.doc.contents;
  let offset = isNode(node) ? (node.range?.[0] ?? 0) : 0;
  for (const [i, seg] of target.entries()) {
    if (!isNode(node)) break;
    const child = childOf(node, seg);
    if (!child) break;
    node = child.value;
    const keyAt = child.key?.range?.[0];
    const valueAt = isNode(child.value) ? child.value.range?.[0] : undefined;
    const last = i === target.length - 1;
    offset = (last && issue.atKey ? keyAt : (valueAt ?? keyAt)) ?? offset;
  }
  const pos = src.lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

interface Child {
  key?: Node;
  value: unknown;
}

function childOf(node: Node, seg: PathSegment): Child | undefined {
  if (!('items' in node) || !Array.isArray(node.items)) return undefined;
  if (typeof seg === 'number') {
    const item: unknown = node.items[seg];
    return item === undefined ? undefined : { value: item };
  }
  for (const item of node.items as unknown[]) {
    if (isPair(item) && isScalar(item.key) && String(item.key.value) === seg) {
      return { key: item.key, value: item.value };
    }
  }
  return undefined;
}

/** YAML parsing that keeps source positions, so every error can name file:line:column. */
import { readFile } from 'node:fs/promises';
import { type Document, isNode, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
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

export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const errors: ConfigError[] = [...doc.errors, ...doc.warnings].map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return { file, line: pos.line, column: pos.col, path: [], message: `YAML: ${firstLine(e.message)}` };
  });
  const value: unknown = doc.errors.length ? undefined : doc.toJS({ maxAliasCount: 1000 });
  return { source: { file, doc, lines }, value, errors };
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

/** A configuration error located in its source file. */
export type PathSegment = string | number;

export interface ConfigIssue {
  path: PathSegment[];
  message: string;
  /** Set when the issue is about something generated (scenario) rather than written. */
  generated?: boolean;
  /** Point at the field's key rather than its value (unknown fields). */
  atKey?: boolean;
}

export interface ConfigError extends ConfigIssue {
  file: string;
  line: number;
  column: number;
}

/** `enterprises[2].lines[0].devices[3].connectivity.port` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || '(root)';
}

/** `config/plants/x.yaml:41:9 enterprises[2]…port: expected an integer 1–65535` */
export function formatError(e: ConfigError): string {
  return `${e.file}:${e.line}:${e.column} ${formatPath(e.path)}: ${e.generated ? '(generated) ' : ''}${e.message}`;
}

/** Thrown by loaders that must fail as a whole; carries every error found. */
export class ConfigLoadError extends Error {
  constructor(readonly errors: ConfigError[]) {
    super(`${errors.length} configuration error(s):\n${errors.map(formatError).join('\n')}`);
    this.name = 'ConfigLoadError';
  }
}

/** Closest candidate by edit distance, for "did you mean" hints. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, sub));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

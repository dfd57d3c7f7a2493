/**
 * The demo's terminal: log lines scroll, and on a TTY a status block stays at the bottom and is
 * redrawn in place. Without a TTY (a pipe, a CI log, the test) nothing is redrawn: status goes
 * out as plain lines, only as often as the caller asks.
 */
import type { Writable } from 'node:stream';

export interface Screen {
  readonly tty: boolean;
  /** A line that stays (progress, timeline events). */
  log(line: string): void;
  /** Replaces the status block (TTY) or prints it (otherwise). */
  status(lines: readonly string[]): void;
  /** Leaves the status block where it is and stops redrawing over it. */
  release(): void;
}

// Control sequences: move to column 1, n lines up; clear to the end of the screen.
const up = (n: number) => (n > 0 ? `\r\x1b[${n}A` : '\r');
const CLEAR_DOWN = '\x1b[J';

export function createScreen(out: Writable & { isTTY?: boolean; columns?: number }): Screen {
  const tty = out.isTTY === true;
  let shown: readonly string[] = [];
  // Lines are cut to the terminal width: a wrapped line would make the block taller than counted.
  const fit = (line: string) => {
    const cols = out.columns ?? 0;
    return cols > 1 && line.length >= cols ? line.slice(0, cols - 1) : line;
  };
  const draw = () => (shown.length ? shown.map(fit).join('\n') + '\n' : '');
  return {
    tty,
    log(line) {
      if (!tty) {
        out.write(`${line}\n`);
        return;
      }
      out.write(`${up(shown.length)}${CLEAR_DOWN}${line}\n${draw()}`);
    },
    status(lines) {
      if (!tty) {
        for (const l of lines) out.write(`${l}\n`);
        return;
      }
      const before = shown.length;
      shown = [...lines];
      out.write(`${up(before)}${CLEAR_DOWN}${draw()}`);
    },
    release() {
      shown = [];
    },
  };
}

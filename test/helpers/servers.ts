import { afterAll, beforeAll } from 'vitest';
import { type Binary, requireBinary } from './binaries.ts';

/** The part of vitest's test context `get()` needs: `ctx.skip(note)` ends the test as skipped. */
export interface SkipContext {
  skip(note: string): never;
}

export interface RunningServer {
  stop(): Promise<void>;
}

/**
 * Holds one server for a describe block. A missing binary outside CI turns each test that asks for
 * the server into a skip carrying the install command; under CI=true `open()` throws instead.
 */
export class ServerSlot<T extends RunningServer> {
  readonly #start: () => Promise<T>;
  readonly #binary: Binary | undefined;
  #server: T | undefined;
  #missing: string | undefined;

  constructor(start: () => Promise<T>, binary?: Binary) {
    this.#start = start;
    this.#binary = binary;
  }

  async open(): Promise<void> {
    if (this.#binary) {
      const check = requireBinary(this.#binary.name, this.#binary.installHint);
      if (!check.found) {
        this.#missing = check.message;
        return;
      }
    }
    this.#server = await this.#start();
  }

  /** The running server, or a skip of the calling test if its binary is missing. */
  get(ctx: SkipContext): T {
    if (this.#missing !== undefined) ctx.skip(this.#missing);
    if (!this.#server)
      throw new Error('server not started: call get() from a test in the describe that opened it');
    return this.#server;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.stop();
  }
}

/** Starts the server in beforeAll and stops it in afterAll of the enclosing describe (or file). */
export function useServer<T extends RunningServer>(start: () => Promise<T>, binary?: Binary): ServerSlot<T> {
  const slot = new ServerSlot(start, binary);
  beforeAll(() => slot.open());
  afterAll(() => slot.close());
  return slot;
}

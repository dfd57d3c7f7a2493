/**
 * One Modbus link — a TCP connection to a host:port, or a serial line — shared by the devices
 * (unit ids) behind it, through modbus-serial. Requests on a link run one at a time (a serial
 * line, or a serial-to-Ethernet converter, serves one transaction at a time); separate links
 * never wait for each other, so a dead device only delays devices on its own link.
 *
 * modbus-serial has no default timeout and no reconnect (DOMAIN.md §3): this adds a
 * per-request timeout, reconnect with exponential backoff and jitter, and a reconnect after
 * repeated timeouts or a corrupt answer (the byte stream may be out of step).
 */
import modbusSerial from 'modbus-serial';

// modbus-serial is CommonJS whose typings use `export default`: under NodeNext the class is
// the module's `default` property (the package sets module.exports.default as well).
const ModbusRTU = modbusSerial.default;
export type ModbusClient = InstanceType<typeof ModbusRTU>;

export type LinkTarget =
  | { kind: 'tcp'; host: string; port: number }
  | {
      kind: 'rtu';
      path: string;
      baudRate: number;
      parity: 'none' | 'even' | 'odd';
      dataBits: 7 | 8;
      stopBits: 1 | 2;
    };

export interface LinkOptions {
  timeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Consecutive timeouts after which the connection is re-opened (default TCP 1, RTU 3). */
  reconnectAfterTimeouts?: number;
}

/** Why a request failed, for counters and device state reasons. */
export type FailureKind = 'connect' | 'backoff' | 'timeout' | 'exception' | 'garbage' | 'closed';

export class LinkError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly modbusCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'LinkError';
  }
}

export const linkKey = (t: LinkTarget): string =>
  t.kind === 'tcp' ? `tcp://[${t.host}]:${t.port}` : `rtu://${t.path}`;

export class ModbusLink {
  readonly key: string;
  readonly #target: LinkTarget;
  readonly #opts: LinkOptions;
  #client: ModbusClient | undefined;
  #connecting: Promise<ModbusClient> | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #retryAt = 0;
  #failures = 0;
  #timeouts = 0;
  #lastError = '';
  #closed = false;

  constructor(target: LinkTarget, opts: LinkOptions) {
    this.#target = target;
    this.#opts = opts;
    this.key = linkKey(target);
  }

  get connected(): boolean {
    return this.#client?.isOpen ?? false;
  }

  /** Runs `fn` on the connected client when the link is free; fails fast while backing off. */
  request<T>(unit: number, fn: (client: ModbusClient) => Promise<T>): Promise<T> {
    const run = this.#tail.then(() => this.#run(unit, fn));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#drop();
  }

  async #run<T>(unit: number, fn: (client: ModbusClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new LinkError('closed', 'link closed');
    const client = await this.#connect();
    client.setID(unit);
    client.setTimeout(this.#opts.timeoutMs);
    try {
      const result = await fn(client);
      this.#timeouts = 0;
      return result;
    } catch (err) {
      throw await this.#classify(err);
    } finally {
      forgetTransactions(client);
    }
  }

  async #connect(): Promise<ModbusClient> {
    if (this.#client?.isOpen) return this.#client;
    const now = Date.now();
    if (now < this.#retryAt) {
      throw new LinkError(
        'backoff',
        `reconnecting in ${Math.ceil((this.#retryAt - now) / 1000)}s (${this.#lastError})`,
      );
    }
    this.#connecting ??= this.#open().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #open(): Promise<ModbusClient> {
    await this.#drop();
    const client = new ModbusRTU();
    try {
      const t = this.#target;
      if (t.kind === 'tcp') await client.connectTCP(t.host, { port: t.port, timeout: this.#opts.timeoutMs });
      else {
        await client.connectRTUBuffered(t.path, {
          baudRate: t.baudRate,
          parity: t.parity,
          dataBits: t.dataBits,
          stopBits: t.stopBits,
        });
      }
    } catch (err) {
      this.#failures++;
      const base = Math.min(this.#opts.backoffMaxMs, this.#opts.backoffMinMs * 2 ** (this.#failures - 1));
      this.#retryAt = Date.now() + base * (0.5 + Math.random() * 0.5); // jitter: 50–100% of the step
      this.#lastError = errorText(err);
      client.close(() => undefined);
      throw new LinkError('connect', `connect ${this.key}: ${this.#lastError}`, undefined, { cause: err });
    }
    this.#failures = 0;
    this.#client = client;
    return client;
  }

  async #classify(err: unknown): Promise<LinkError> {
    const e = err as { modbusCode?: number; name?: string; message?: string; errno?: string };
    if (typeof e.modbusCode === 'number') {
      return new LinkError('exception', `exception ${String(e.modbusCode).padStart(2, '0')}`, e.modbusCode, {
        cause: err,
      });
    }
    if (e.name === 'TransactionTimedOutError' || /timed out/i.test(e.message ?? '')) {
      // On TCP a late answer could be taken for the next request's: drop the connection at once.
      // On a serial line (reopening costs more) after a few in a row.
      const limit = this.#opts.reconnectAfterTimeouts ?? (this.#target.kind === 'tcp' ? 1 : 3);
      if (++this.#timeouts >= limit) await this.#drop();
      return new LinkError('timeout', `timeout after ${this.#opts.timeoutMs}ms`, undefined, { cause: err });
    }
    if (!this.#client?.isOpen || /not open|closed|ECONNRESET|EPIPE/i.test(e.message ?? '')) {
      await this.#drop();
      return new LinkError('closed', `connection lost: ${errorText(err)}`, undefined, { cause: err });
    }
    // Anything else is a malformed answer: the stream may be out of step, so start afresh.
    await this.#drop();
    return new LinkError('garbage', `bad answer: ${errorText(err)}`, undefined, { cause: err });
  }

  async #drop(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    // modbus-serial never calls back close() on a socket the peer already closed: don't wait
    // for it then, and never longer than a second.
    if (!client.isOpen) {
      client.close(() => undefined);
      return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      client.close(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

/**
 * modbus-serial keeps every finished transaction (request, callback, buffers) in
 * `_transactions` until its id wraps at 256 — per connection. With hundreds of devices that
 * held ~1.5 KB × 256 per connection: about 190 MB at 500 devices (measured with heap usage
 * after GC growing until the ids wrapped). A link runs one request at a time, so once it has
 * settled nothing is pending and the table can be emptied; a late answer to a timed-out
 * request then finds no transaction and is ignored, which is what we want anyway.
 */
function forgetTransactions(client: ModbusClient): void {
  const internals = client as unknown as { _transactions?: Record<string, unknown> };
  if (internals._transactions) internals._transactions = {};
}

const errorText = (err: unknown): string => {
  const e = err as { code?: string; errno?: string; message?: string };
  return e.code ?? e.errno ?? e.message ?? String(err);
};

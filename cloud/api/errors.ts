/**
 * Every error the HTTP API answers with, in one catalogue (code → status, message template),
 * documented in one table in docs/api.md (a test keeps the two in step). Clients branch on
 * `error.code`, never on the message. Every error body is `{ error: { code, message, details? } }`.
 */

export const ERRORS = {
  LW_BAD_QUERY: { status: 400, message: 'invalid request parameters: {reason}' },
  LW_BAD_BODY: { status: 400, message: 'invalid request body: {reason}' },
  LW_LEDGER_REJECTED: { status: 400, message: 'the ledger refused the change: {reason}' },
  LW_UNAUTHORIZED: {
    status: 401,
    message: 'a valid token is required: send "Authorization: Bearer <token>"',
  },
  LW_FORBIDDEN: { status: 403, message: 'this token may not {action}: the admin token is required' },
  LW_WRITES_DISABLED: {
    status: 403,
    message:
      'ledger writes are disabled because no admin token is configured; configure one (the API adminToken) and restart',
  },
  LW_NOT_FOUND: { status: 404, message: 'not found: {what}' },
  LW_NO_ROUTE: { status: 404, message: 'no route {method} {path}' },
  LW_BODY_TOO_LARGE: { status: 413, message: 'request body larger than {limit} bytes' },
  LW_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'unsupported content type {type}: send application/json',
  },
  LW_INTERNAL: { status: 500, message: 'internal error; see the server log for request {requestId}' },
  LW_STORE_DOWN: {
    status: 503,
    message: 'the store did not answer; see the server log for request {requestId}',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** `{a} and {b}` → 'a' | 'b': the parameters a template needs, checked at compile time. */
type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}`
  ? P | Placeholders<Rest>
  : never;
export type ErrorParams<C extends ErrorCode> = Record<
  Placeholders<(typeof ERRORS)[C]['message']>,
  string | number
>;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function formatMessage(template: string, params: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** Thrown by handlers and hooks; the error handler turns it into the coded body and status. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: unknown;

  constructor(code: ErrorCode, ...[params, details]: ErrorArgs) {
    super(formatMessage(ERRORS[code].message, params ?? {}));
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = ERRORS[code].status;
    this.details = details;
  }

  body(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

// Loosely typed at the constructor (TypeScript cannot tie a rest tuple to the `code` argument
// of a class constructor); `apiError` below is the checked way to build one.
type ErrorArgs = [params?: Readonly<Record<string, string | number>>, details?: unknown];

/** Builds an ApiError whose template parameters are checked against the catalogue. */
export function apiError<C extends ErrorCode>(code: C, params: ErrorParams<C>, details?: unknown): ApiError {
  return new ApiError(code, params, details);
}

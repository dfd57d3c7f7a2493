/**
 * What every route module shares: the dependencies they are built with and `guard()`, which
 * turns an access level and a schema into route options — the access check (auth.ts), the
 * OpenAPI security requirement and the coded error responses come from one declaration.
 */
import type { FastifySchema } from 'fastify';
import type { Access } from './auth.ts';
import type { ApiContext } from './types.ts';

export interface RouteDeps {
  ctx: ApiContext;
  now: () => number;
  maxRangeMs: number;
  /** Called after a successful ledger edit: live-stream clients refetch (no-op without a stream). */
  changed(): void;
}

type Responses = Record<string, unknown>;

export function guard(
  access: Access,
  schema: FastifySchema & { response?: Responses; tags?: string[]; summary?: string; description?: string },
): { config: { access: Access }; schema: FastifySchema } {
  const coded = (description: string) => ({ description, $ref: 'ErrorResponse#' });
  const errors: Responses = {
    '4xx': coded('A coded client error (docs/api.md): { error: { code, message, details? } }'),
    '5xx': coded('A coded server error: LW_INTERNAL or LW_STORE_DOWN'),
  };
  return {
    config: { access },
    schema: {
      ...schema,
      security: access === 'open' ? [] : [{ bearer: [] }],
      response: { ...errors, ...schema.response },
    },
  };
}

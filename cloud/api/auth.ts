/**
 * Bearer tokens. Each route declares its access level in its config (`open`, `read`, `admin`);
 * a route that forgets to is treated as `read`, so forgetting never opens data. The read token
 * (when configured) guards reads; the admin token guards ledger writes and also reads.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { apiError } from './errors.ts';

export type Access = 'open' | 'read' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** Also accept the token as `?access_token=` (browsers' EventSource cannot send headers). */
    tokenInQuery?: boolean;
  }
}

// Hashing first gives equal-length inputs to timingSafeEqual, so neither the content nor the
// length of a token leaks through response timing.
const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export class Tokens {
  private readonly read: Buffer | undefined;
  private readonly admin: Buffer | undefined;

  constructor(read: string | undefined, admin: string | undefined) {
    // An empty token is a configuration slip (an unset environment variable), not an intent
    // to open the API: refuse it rather than guess.
    if (read === '' || admin === '')
      throw new Error('API tokens must not be empty strings (leave them unset)');
    this.read = read === undefined ? undefined : digest(read);
    this.admin = admin === undefined ? undefined : digest(admin);
  }

  get readsOpen(): boolean {
    return this.read === undefined;
  }

  get writesEnabled(): boolean {
    return this.admin !== undefined;
  }

  /** The role a presented token grants, compared in constant time against both tokens. */
  role(presented: string | undefined): 'admin' | 'read' | undefined {
    if (presented === undefined) return undefined;
    const d = digest(presented);
    const isAdmin = this.admin !== undefined && timingSafeEqual(d, this.admin);
    const isRead = this.read !== undefined && timingSafeEqual(d, this.read);
    return isAdmin ? 'admin' : isRead ? 'read' : undefined;
  }
}

export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const bearer = header === undefined ? undefined : /^Bearer +(\S+) *$/i.exec(header)?.[1];
  if (bearer !== undefined || !request.routeOptions.config.tokenInQuery) return bearer;
  const query = request.query as Record<string, unknown> | undefined;
  const token = query?.access_token;
  return typeof token === 'string' ? token : undefined;
}

/** Throws the coded 401/403 when the request may not use the route. */
export function authorize(tokens: Tokens, access: Access, request: FastifyRequest, action: string): void {
  if (access === 'open' || (access === 'read' && tokens.readsOpen)) return;
  if (access === 'admin' && !tokens.writesEnabled) throw apiError('LW_WRITES_DISABLED', {});
  const role = tokens.role(presentedToken(request));
  if (role === undefined) throw apiError('LW_UNAUTHORIZED', {});
  if (access === 'admin' && role !== 'admin') throw apiError('LW_FORBIDDEN', { action });
}

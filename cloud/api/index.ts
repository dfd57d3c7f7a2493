/** The cloud HTTP API: `buildApi(ctx, opts)` → a fastify app; `main` calls `app.listen({ host: '::', port })`. */
export { buildApi } from './app.ts';
export { ERRORS, type ErrorCode, type ErrorBody } from './errors.ts';
export type { ApiContext, ApiOptions, HealthReport, UpdateSource } from './types.ts';

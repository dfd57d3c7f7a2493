/**
 * The cloud's HTTP API. `buildApi()` returns a fastify app that tests drive with `inject()`
 * and `main` only listens on; nothing here reads configuration or the environment.
 *
 * Every route declares JSON Schemas: fastify validates requests and serializes responses with
 * them and @fastify/swagger generates `/api/openapi.json` from the same objects. Every error —
 * ours, fastify's validation and body errors, unknown routes — leaves as
 * `{ error: { code, message, details? } }` with a code from errors.ts.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import swagger from '@fastify/swagger';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import pino from 'pino';
import { Tokens, authorize } from './auth.ts';
import { domainError } from './domain-errors.ts';
import { ApiError, apiError } from './errors.ts';
import { httpMetrics } from './metrics.ts';
import type { RouteDeps } from './route.ts';
import { deviceRoutes } from './routes/devices.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { opsRoutes } from './routes/ops.ts';
import { pipelineRoutes } from './routes/pipeline.ts';
import { rateRoutes } from './routes/rates.ts';
import { UpdateHub, streamRoutes } from './routes/stream.ts';
import { trendRoutes } from './routes/trend.ts';
import { SHARED_SCHEMAS } from './schemas.ts';
import { sendStatic, staticFiles } from './static.ts';
import type { ApiContext, ApiOptions } from './types.ts';

const MiB = 1024 * 1024;
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Maps anything thrown while handling a request to a coded error. */
export function toApiError(err: unknown, request: FastifyRequest, bodyLimit: number): ApiError {
  if (err instanceof ApiError) return err;
  const domain = domainError(err);
  if (domain !== undefined) return domain;
  if (!(err instanceof Error)) return apiError('LW_INTERNAL', { requestId: request.id });
  const e: Partial<FastifyError> & Error = err;
  if (e.validation !== undefined) {
    const where = e.validationContext ?? 'querystring';
    const issues = e.validation.map((v) => ({ path: v.instancePath, message: v.message }));
    // Ajv does not name an unknown property in its message ("must NOT have additional properties").
    const unknown = e.validation.map((v) => v.params.additionalProperty).find((p) => typeof p === 'string');
    const reason =
      unknown === undefined
        ? e.message
        : `unknown ${where === 'body' ? 'field' : 'parameter'} ${JSON.stringify(unknown)} in ${where}`;
    return apiError(where === 'body' ? 'LW_BAD_BODY' : 'LW_BAD_QUERY', { reason }, { in: where, issues });
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return apiError('LW_BODY_TOO_LARGE', { limit: bodyLimit });
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return apiError('LW_UNSUPPORTED_MEDIA_TYPE', {
      type: JSON.stringify(request.headers['content-type'] ?? ''),
    });
  }
  const status = e.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Fastify's other client errors: malformed JSON, empty JSON body, bad URL encoding, a too long parameter.
    const aboutBody = e.code?.startsWith('FST_ERR_CTP_') === true || e instanceof SyntaxError;
    return apiError(aboutBody ? 'LW_BAD_BODY' : 'LW_BAD_QUERY', { reason: e.message });
  }
  return apiError('LW_INTERNAL', { requestId: request.id });
}

function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable && err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
    const reason = `the request could not be parsed (${err.code ?? 'malformed'})`;
    const body = JSON.stringify(apiError('LW_BAD_QUERY', { reason }).body());
    socket.write(
      'HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** The URL as logged: an access token in the query string never reaches the log. */
export const redactUrl = (url: string): string => url.replace(/([?&]access_token=)[^&]*/gi, '$1[redacted]');

export async function buildApi(ctx: ApiContext, opts: ApiOptions = {}): Promise<FastifyInstance> {
  const root = opts.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const log: FastifyBaseLogger = root.child({ name: 'cloud:api' });
  const tokens = new Tokens(opts.readToken, opts.adminToken);
  const files = opts.staticDir === undefined ? undefined : await staticFiles(opts.staticDir);
  const metrics = httpMetrics(ctx.registry);
  const bodyLimit = opts.bodyLimit ?? MiB;
  const now = opts.now ?? Date.now;
  const hub =
    ctx.events === undefined
      ? undefined
      : new UpdateHub(
          ctx.events,
          {
            minIntervalMs: opts.stream?.minIntervalMs ?? 1000,
            heartbeatMs: opts.stream?.heartbeatMs ?? 15_000,
          },
          () => ({ time: now(), ledgerVersion: ctx.ledger.version }),
          metrics.streamClients,
        );
  const deps: RouteDeps = {
    ctx,
    now,
    maxRangeMs: opts.maxRangeMs ?? 366 * 86_400_000,
    changed: () => hub?.notify(),
  };
  const staticRequests = new WeakSet<FastifyRequest>();

  // With `https`, fastify builds an https.Server; the routes and hooks are the same, so the app keeps
  // the http-typed FastifyInstance the rest of the code (and inject()) uses.
  const app = Fastify({
    ...(opts.https ? { https: { ...opts.https, minVersion: 'TLSv1.2' as const } } : {}),
    loggerInstance: log,
    // Requests are logged once, in onResponse below, with the access token redacted from the URL.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    // Unknown query parameters and body fields are refused, not dropped: a typo such as
    // `enterprize=` would otherwise silently return the unfiltered province.
    ajv: { customOptions: { removeAdditional: false } },
    routerOptions: { maxParamLength: 200 },
    // Errors raised while routing (a malformed %-escape in the path) take the same coded shape.
    frameworkErrors: (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const e = toApiError(err, request, bodyLimit);
      void reply.code(e.statusCode).send(e.body());
    },
    // So do requests Node's HTTP parser refuses before any routing (a raw space, control byte or
    // non-ASCII byte in the target, headers over the size limit): fastify's default answer here
    // is an uncoded {"error":"Bad Request","message":"Client Error"}.
    clientErrorHandler: clientError,
  }) as unknown as FastifyInstance;

  app.setErrorHandler((err, request, reply) => {
    const e = toApiError(err, request, bodyLimit);
    if (e.statusCode >= 500) request.log.error({ err }, 'request failed');
    if (e.code === 'LW_UNAUTHORIZED') void reply.header('www-authenticate', 'Bearer realm="lianwang"');
    return reply.code(e.statusCode).type('application/json; charset=utf-8').send(e.body());
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const head = request.method === 'HEAD';
    if (files !== undefined && (request.method === 'GET' || head) && !/^\/api(\/|$)/.test(path)) {
      const found = await files.resolve(path);
      if (found !== undefined) {
        staticRequests.add(request);
        return sendStatic(reply, found, head);
      }
    }
    throw apiError('LW_NO_ROUTE', { method: request.method, path: JSON.stringify(path.slice(0, 200)) });
  });

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
    if (request.is404) return; // unknown routes answer 404 and dashboard files are public
    const access = request.routeOptions.config.access ?? 'read';
    authorize(tokens, access, request, `${request.method} ${request.routeOptions.url ?? ''}`);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404
      ? staticRequests.has(request)
        ? 'static'
        : 'unmatched'
      : (request.routeOptions.url ?? 'unmatched');
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    request.log.debug(
      {
        method: request.method,
        url: redactUrl(request.url),
        status: reply.statusCode,
        ms: reply.elapsedTime,
      },
      'request',
    );
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'lianwang cloud API',
        version: VERSION,
        description:
          '数字化设备联网率 (networked rate of digital equipment) per enterprise, industry, city and province, ' +
          'measured from telemetry. Errors: { error: { code, message, details? } }, codes in docs/api.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    // Keep the shared schemas' names (RatesReport, …) in components instead of def-0, def-1, ….
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  rateRoutes(app, deps);
  trendRoutes(app, deps);
  deviceRoutes(app, deps);
  ledgerRoutes(app, deps);
  pipelineRoutes(app, deps);
  opsRoutes(app, deps);
  if (hub !== undefined) streamRoutes(app, hub, metrics);
  return app;
}

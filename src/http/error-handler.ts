/**
 * One place that turns failures into Home Assistant's response shapes, so that no request ever
 * answers with a stack trace: malformed JSON → 400 `{"message": "Invalid JSON."}` (http/view.py),
 * schema failures → 400 `{"message": "Message format incorrect: …"}` (http/data_validator.py), an
 * unreachable store → 503 with a JSON body (ARCHITECTURE.md, "Stores"), a full bcrypt queue → 429 with
 * `Retry-After` (services/password-checks.ts), unknown routes → aiohttp's 404,
 * a request refused before any view (PlainHttpError, e.g. a bad X-Forwarded-For) → aiohttp's text.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { PasswordChecksBusyError } from '../services/password-checks.js';
import { TooMuchContentionError } from '../runtime/actor-handle.js';
import { StoreUnavailableError } from '../stores/types.js';

/**
 * A refusal that Home Assistant's middlewares raise as an aiohttp exception (`HTTPBadRequest`),
 * answered as aiohttp answers it: `text/plain`, `<status>: <reason>`. Thrown from hooks, so that the
 * `onError` hooks see it (a refusal before any view counts as no failed login: http/ip-bans.ts).
 */
export class PlainHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly text: string,
  ) {
    super(text);
    this.name = 'PlainHttpError';
  }
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && 'code' in error;
}

/** Route paths as regular expressions, to tell an unknown path (404) from a known one asked with another method (405). */
function routeTable(app: FastifyInstance) {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', ({ url, method }) => {
    const pattern = new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+')}$`);
    routes.push({ pattern, methods: Array.isArray(method) ? method : [method] });
  });
  return (path: string) => routes.filter((route) => route.pattern.test(path)).flatMap((route) => route.methods);
}

export function installErrorHandling(app: FastifyInstance): void {
  const methodsOf = routeTable(app);
  app.setNotFoundHandler(async (request, reply) => {
    // aiohttp answers a known path asked with another method 405, with the methods it has.
    const allowed = methodsOf(request.url.split('?')[0] ?? '').filter((method) => method !== 'HEAD');
    if (allowed.length > 0) {
      return reply.code(405).header('Allow', allowed.join(',')).type('text/plain').send('405: Method Not Allowed');
    }
    return reply.code(404).type('text/plain').send('404: Not Found');
  });
  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof PlainHttpError) return reply.code(error.statusCode).type('text/plain; charset=utf-8').send(error.text);
    if (error instanceof StoreUnavailableError) {
      request.log.warn({ err: error.message }, 'store unavailable');
      return reply.code(503).send({ message: 'Service unavailable: the store cannot be reached' });
    }
    if (error instanceof TooMuchContentionError) {
      // One record changed by many requests at once, past the retries: busy, not broken.
      request.log.warn({ err: error.message }, 'too much contention');
      return reply.code(503).header('Retry-After', '1').send({ message: 'Service busy: too many concurrent changes, try again' });
    }
    if (error instanceof PasswordChecksBusyError) {
      // RFC 6585 §4, in the views' `{"message": …}` shape (json_message). Thrown before any write, so
      // a login flow's step can be sent again; answered here, so it is no failed login (ip-bans.ts).
      return reply.code(429).header('Retry-After', String(error.retryAfterSeconds)).send({ message: error.message });
    }
    if (isFastifyError(error)) {
      if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
        return reply.code(400).send({ message: 'Invalid JSON.' });
      }
      if (error.validation !== undefined) {
        return reply.code(400).send({ message: `Message format incorrect: ${error.message}` });
      }
      if (error.statusCode !== undefined && error.statusCode < 500) {
        return reply.code(error.statusCode).send({ message: error.message });
      }
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ message: 'Internal Server Error' });
  });
}

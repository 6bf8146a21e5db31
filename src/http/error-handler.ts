/**
 * One place that turns thrown failures into Home Assistant's response shapes, so that no request
 * ever answers with a stack trace: a catalogued error (domain/errors.ts) as its view answer — an
 * unreachable store → 503 (ARCHITECTURE.md, "Stores"), a full bcrypt queue → 429 with `Retry-After`
 * (services/providers/password-checks.ts), a request refused before any view (e.g. a bad X-Forwarded-For) →
 * aiohttp's text; malformed JSON → 400 `{"message": "Invalid JSON."}` (http/view.py), schema failures
 * → 400 `{"message": "Message format incorrect: …"}` (http/data_validator.py), unknown routes →
 * aiohttp's 404, anything else → 500 without its words.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { answerOf, CodedError } from '../domain/errors.js';
import { sendAnswer, sendError } from './error-reply.js';

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
    if (error instanceof CodedError) {
      const answer = answerOf(error);
      // A 503 is the service's trouble, not the client's: the operator sees why (the store, the contention).
      if (answer.status >= 500) request.log.warn({ err: error.message }, error.code);
      return sendAnswer(reply, answer);
    }
    if (isFastifyError(error)) {
      if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return sendError(reply, 'invalid_json');
      if (error.validation !== undefined) return sendError(reply, 'invalid_format', { detail: error.message });
      if (error.statusCode !== undefined && error.statusCode < 500) {
        return reply.code(error.statusCode).send({ message: error.message });
      }
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, 'internal_error');
  });
}

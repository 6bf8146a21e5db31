/**
 * One place that turns failures into Home Assistant's response shapes, so that no request ever
 * answers with a stack trace: malformed JSON → 400 `{"message": "Invalid JSON."}` (http/view.py),
 * schema failures → 400 `{"message": "Message format incorrect: …"}` (http/data_validator.py), an
 * unreachable store → 503 with a JSON body (ARCHITECTURE.md, "Stores"), unknown routes → aiohttp's 404.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { StoreUnavailableError } from '../stores/types.js';

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && 'code' in error;
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).type('text/plain').send('404: Not Found'));
  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof StoreUnavailableError) {
      request.log.warn({ err: error.message }, 'store unavailable');
      return reply.code(503).send({ message: 'Service unavailable: the store cannot be reached' });
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

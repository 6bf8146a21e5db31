/**
 * Bodies of Home Assistant's JSON views as `RequestDataValidator` reads them
 * (homeassistant/components/http/data_validator.py): the body is parsed as JSON whatever its
 * content type; a body that is not JSON is 400 `{"message": "Invalid JSON."}`; one that fails the
 * view's schema is 400 `{"message": "Message format incorrect: <voluptuous error>"}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validate, type Schema } from '../domain/voluptuous.js';

const NOT_JSON = Symbol('not JSON');

/** In this plugin's scope only: every body is read as JSON text. */
export function acceptJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body: string, done) => {
    try {
      done(null, JSON.parse(body));
    } catch {
      done(null, NOT_JSON);
    }
  });
}

/** The validated body, or null after answering the request with Home Assistant's 400. */
export async function validatedBody(request: FastifyRequest, reply: FastifyReply, schema: Schema) {
  if (request.body === undefined || request.body === NOT_JSON) {
    await reply.code(400).send({ message: 'Invalid JSON.' });
    return null;
  }
  const result = validate(schema, request.body);
  if (!result.ok) {
    await reply.code(400).send({ message: `Message format incorrect: ${result.message}` });
    return null;
  }
  return result.value;
}

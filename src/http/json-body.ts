/**
 * Bodies of Home Assistant's JSON views as `RequestDataValidator` reads them
 * (homeassistant/components/http/data_validator.py): the body is parsed as JSON whatever its
 * content type; a body that is not JSON is 400 `{"message": "Invalid JSON."}`; one that fails the
 * view's schema is 400 `{"message": "Message format incorrect: <voluptuous error>"}`.
 *
 * Those 400s come from the validator, which wraps the view in Home Assistant: `@log_invalid_auth`
 * (inside it) never sees them, so they are no failed login (ha-auth-spec §11). `isValidatorAnswer`
 * tells them apart from the view's own 400s (http/ip-bans.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validate, type Schema } from '../domain/voluptuous.js';
import { sendError } from './error-reply.js';

const NOT_JSON = Symbol('not JSON');

const validatorAnswers = new WeakSet<FastifyRequest>();

/** True when `validatedBody` answered this request (not JSON, or not the view's schema). */
export function isValidatorAnswer(request: FastifyRequest): boolean {
  return validatorAnswers.has(request);
}

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
    validatorAnswers.add(request);
    await sendError(reply, 'invalid_json');
    return null;
  }
  const result = validate(schema, request.body);
  if (!result.ok) {
    validatorAnswers.add(request);
    await sendError(reply, 'invalid_format', { detail: result.message });
    return null;
  }
  return result.value;
}

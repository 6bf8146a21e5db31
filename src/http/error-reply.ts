/**
 * Catalogued errors (domain/errors.ts) as the HTTP views answer them: a view's
 * `{"message": …}` (http/view.py `json_message`), aiohttp's `text/plain` `<status>: <reason>` for an
 * HTTPException, and the token endpoint's OAuth `{"error": …, "error_description": …}` (RFC 6749 §5.2).
 * `Retry-After` goes with the answers that carry one.
 */
import type { FastifyReply } from 'fastify';
import { answerOf, type ErrorAnswer, type ErrorCode, type ParamsArg } from '../domain/errors.js';

function withRetryAfter(reply: FastifyReply, answer: ErrorAnswer): FastifyReply {
  reply.code(answer.status);
  return answer.retryAfterSeconds === null ? reply : reply.header('Retry-After', String(answer.retryAfterSeconds));
}

/** A view's answer to a catalogued error (a thrown one: error-handler.ts). */
export function sendAnswer(reply: FastifyReply, answer: ErrorAnswer): FastifyReply {
  withRetryAfter(reply, answer);
  if (answer.plain) return reply.type('text/plain; charset=utf-8').send(`${answer.status}: ${answer.message}`);
  return reply.send(answer.bodyCode === null ? { message: answer.message } : { message: answer.message, code: answer.bodyCode });
}

/** A view's answer to `code`. */
export function sendError<C extends ErrorCode>(reply: FastifyReply, code: C, ...[params]: ParamsArg<C>): FastifyReply {
  return sendAnswer(reply, answerOf({ code, params }));
}

/** The token endpoint's answer to `code`: its OAuth error, described where Home Assistant describes it. */
export function sendOAuthError<C extends ErrorCode>(reply: FastifyReply, code: C, ...[params]: ParamsArg<C>): FastifyReply {
  const answer = answerOf({ code, params });
  if (answer.oauth === null) return sendAnswer(reply, answer);
  const { error, description } = answer.oauth;
  return withRetryAfter(reply, answer).send(description === null ? { error } : { error, error_description: description });
}

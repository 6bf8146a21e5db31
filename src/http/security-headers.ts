/**
 * Headers Home Assistant adds to every response, errors included (homeassistant/components/http/headers.py):
 * `Referrer-Policy: no-referrer`, `X-Content-Type-Options: nosniff`, `X-Frame-Options: SAMEORIGIN`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';

export const HOME_ASSISTANT_HEADERS = {
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'SAMEORIGIN',
} as const;

export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(HOME_ASSISTANT_HEADERS);
  });
}

/**
 * For a URL Fastify cannot route at all (bad percent-encoding), before any hook runs: aiohttp's plain
 * 400, still with Home Assistant's headers (Fastify's `frameworkErrors` option).
 */
export function answerUnroutableUrl(_error: unknown, _request: unknown, reply: FastifyReply): void {
  void reply.code(400).headers(HOME_ASSISTANT_HEADERS).type('text/plain').send('400: Bad Request');
}

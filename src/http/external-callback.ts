/**
 * GET /auth/external/callback?state=…&code=… (homeassistant/helpers/config_entry_oauth2_flow.py,
 * `OAuth2AuthorizeCallbackView`; ha-auth-spec §7), where an external OAuth provider sends the
 * browser back:
 *   no state → 200 text "Missing state parameter"; a state not made here → 400 text
 *   "Invalid state. Is My Home Assistant configured to go to the right instance?"; neither code nor
 *   error → 200 text "Missing code or error parameter"; otherwise 200 HTML that closes the window.
 * Home Assistant then resumes the integration's config flow named in the state; this service runs no
 * integrations, so the state's check and the window's close are the whole of it.
 */
import type { FastifyInstance } from 'fastify';
import type { OAuth2StateService } from '../services/login/oauth2-state.js';

export function externalCallbackRoutes(app: FastifyInstance, states: OAuth2StateService): void {
  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/auth/external/callback', async (request, reply) => {
    const first = (name: string) => {
      const value = request.query[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const state = first('state');
    if (state === undefined) return reply.type('text/plain; charset=utf-8').send('Missing state parameter');
    if ((await states.decode(state)) === null) {
      return reply
        .code(400)
        .type('text/plain; charset=utf-8')
        .send('Invalid state. Is My Home Assistant configured to go to the right instance?');
    }
    if (first('code') === undefined && first('error') === undefined) {
      return reply.type('text/plain; charset=utf-8').send('Missing code or error parameter');
    }
    return reply.type('text/html; charset=utf-8').send('<script>window.close()</script>');
  });
}

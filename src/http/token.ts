/**
 * POST /auth/token — OAuth 2 token endpoint (homeassistant/components/auth/__init__.py, `TokenView`).
 * Form-encoded or multipart:
 *
 *   grant_type=authorization_code&client_id=https://app.example/&code=411ee2f916e648d691e937ae9344681e
 *     [&code_verifier=<43-128 chars>]   (PKCE, RFC 7636: needed when the login sent a code_challenge)
 *     → 200 {"access_token": "<JWT>", "token_type": "Bearer", "refresh_token": "<128 hex>",
 *            "expires_in": 1800, "ha_auth_provider": "homeassistant"}
 *   grant_type=refresh_token&client_id=https://app.example/&refresh_token=<128 hex>
 *     → 200 {"access_token": "<JWT>", "token_type": "Bearer", "expires_in": 1800}
 *   action=revoke&token=<refresh token>   (deprecated alias of POST /auth/revoke) → 200, empty
 *
 * Errors are 400 `{"error": "invalid_request", "error_description": "Invalid client id"|"Invalid code"}`,
 * 400 `{"error": "invalid_request"}`, 400 `{"error": "invalid_grant"}`, 400 `{"error": "unsupported_grant_type"}`,
 * 400 `{"error": "invalid_grant", "error_description": "Invalid code verifier"}` (RFC 7636 §4.6; the code
 * stays unused, so the client may still redeem it with the right verifier) and 403
 * `{"error": "access_denied", "error_description": "<reason>"}`, from the catalog (domain/errors.ts). Successes carry
 * `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
 *
 * POST /auth/revoke — RFC 7009: `token=<refresh token>` → always 200 with an empty body.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TokenOutcome, TokenService } from '../services/tokens/token-endpoint.js';
import { sendOAuthError } from './error-reply.js';
import { acceptFormBodies, formFields } from './form-body.js';
import { ANY_ORIGIN, anyOriginPreflights } from './cors.js';

function render(reply: FastifyReply, outcome: TokenOutcome) {
  if (outcome.kind === 'access_denied') return sendOAuthError(reply, 'access_denied', { reason: outcome.reason });
  if (outcome.kind !== 'tokens') return sendOAuthError(reply, outcome.kind);
  const body: Record<string, unknown> = { access_token: outcome.accessToken, token_type: 'Bearer' };
  if (outcome.refreshToken !== undefined) body.refresh_token = outcome.refreshToken;
  body.expires_in = outcome.expiresIn;
  if (outcome.authProvider !== undefined) body.ha_auth_provider = outcome.authProvider;
  return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache').send(body);
}

export function tokenRoutes(app: FastifyInstance, tokens: TokenService): void {
  void app.register(async (scope) => {
    acceptFormBodies(scope);
    anyOriginPreflights(scope, ['/auth/token', '/auth/revoke']);

    scope.post('/auth/token', { config: ANY_ORIGIN }, async (request, reply) => {
      const data = formFields(request);
      if (data.action === 'revoke') {
        await tokens.revoke(data.token);
        return reply.code(200).send();
      }
      const ip = request.ip;
      if (data.grant_type === 'authorization_code') {
        return render(reply, await tokens.exchangeCode(data.client_id, data.code, ip, data.code_verifier));
      }
      if (data.grant_type === 'refresh_token') return render(reply, await tokens.refresh(data.client_id, data.refresh_token, ip));
      return sendOAuthError(reply, 'unsupported_grant_type');
    });

    scope.post('/auth/revoke', { config: ANY_ORIGIN }, async (request, reply) => {
      await tokens.revoke(formFields(request).token);
      return reply.code(200).send();
    });
  });
}

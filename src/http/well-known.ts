/**
 * OAuth metadata in Home Assistant's 2026 shapes (ha-auth-spec §2, [NEWER]; PRs #152385, #166213):
 *
 *   GET /.well-known/oauth-authorization-server (RFC 8414)
 *     → {"issuer": "https://example.com", "authorization_endpoint": "https://example.com/auth/authorize",
 *        "token_endpoint": "…/auth/token", "revocation_endpoint": "…/auth/revoke",
 *        "response_types_supported": ["code"], "code_challenge_methods_supported": ["S256"],
 *        "service_documentation": "…", "client_id_metadata_document_supported": true}
 *       (`code_challenge_methods_supported`: PKCE, beyond Home Assistant, its open PR #181957)
 *       without `issuer` and with relative endpoints when the request's host matches no known URL;
 *   GET /.well-known/oauth-protected-resource (RFC 9728)
 *     → {"resource": "<url>", "authorization_servers": ["<url>"], "resource_documentation": "…"}
 *       or 404 {"message": "No URL available"};
 *   every 401 carries `WWW-Authenticate: Bearer resource_metadata="<url>/.well-known/oauth-protected-resource"`
 *   when there is a URL to point at.
 *
 * `client_id_metadata_document_supported: true` as Home Assistant 2026 (PR #166220): redirect-URI
 * discovery reads Client ID Metadata Documents (services/login/redirect-discovery.ts).
 * Refresh-token rotation is a per-client policy with no metadata field (RFC 8414 defines none), so
 * the documents are the same whatever the policies are.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestBaseUrl } from '../domain/base-url.js';
import { sendError } from './error-reply.js';

const DOCUMENTATION = 'https://developers.home-assistant.io/docs/auth_api';
const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

export function wellKnownRoutes(app: FastifyInstance, configuredUrls: readonly string[]): void {
  const baseUrl = (request: FastifyRequest) => requestBaseUrl(request.headers.host, request.protocol, configuredUrls);

  app.get('/.well-known/oauth-authorization-server', async (request) => {
    const prefix = baseUrl(request);
    return {
      ...(prefix === '' ? {} : { issuer: prefix }),
      authorization_endpoint: `${prefix}/auth/authorize`,
      token_endpoint: `${prefix}/auth/token`,
      revocation_endpoint: `${prefix}/auth/revoke`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      service_documentation: DOCUMENTATION,
      client_id_metadata_document_supported: true,
    };
  });

  app.get(PROTECTED_RESOURCE_PATH, async (request, reply) => {
    const prefix = baseUrl(request);
    if (prefix === '') return sendError(reply, 'no_url');
    return { resource: prefix, authorization_servers: [prefix], resource_documentation: DOCUMENTATION };
  });

  app.addHook('onSend', async (request, reply) => {
    if (reply.statusCode !== 401) return;
    const prefix = baseUrl(request);
    if (prefix !== '') reply.header('WWW-Authenticate', `Bearer resource_metadata="${prefix}${PROTECTED_RESOURCE_PATH}"`);
  });
}

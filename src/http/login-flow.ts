/**
 * Login flow views (homeassistant/components/auth/login_flow.py):
 *
 *   GET  /auth/providers → {"providers": [{"name": "Home Assistant Local", "id": null, "type": "homeassistant"}],
 *                           "preselect_remember_me": true}
 *        (400 {"message": "Onboarding not finished", "code": "onboarding_required"} before onboarding);
 *        a trusted_networks provider only for a client it would let in (services/providers/trusted-networks.ts)
 *   POST /auth/login_flow {"client_id": "https://app.example/", "handler": ["homeassistant", null],
 *                          "redirect_uri": "https://app.example/cb", "type": "authorize"} → the first form
 *        optionally with PKCE (RFC 7636; Home Assistant's open PR #181957): "code_challenge": "<43 chars>",
 *        "code_challenge_method": "S256" — the code the flow ends with then needs its `code_verifier`
 *   POST /auth/login_flow/{flow_id} {"client_id": "…", "username": "…", "password": "…"}
 *        → a form (with errors {"base": "invalid_auth"}) or {"type": "create_entry", …, "result": "<code>"}
 *        or, for a user with MFA, the form `select_mfa_module` (two or more modules) or `mfa`:
 *   POST /auth/login_flow/{flow_id} {"client_id": "…", "multi_factor_auth_module": "totp"} → the `mfa` form
 *   POST /auth/login_flow/{flow_id} {"client_id": "…", "code": "123456"} → the `mfa` form with errors
 *        {"base": "invalid_code"}, {"type": "abort", …, "reason": "login_expired" | "too_many_retry"}, or create_entry
 *   DELETE /auth/login_flow/{flow_id} → {"message": "Flow aborted"}
 *
 * Errors are `{"message": …}`: 400 "Invalid client id", 400 "Invalid code challenge" (not an S256
 * challenge, or a method other than S256: `plain` is refused, RFC 9700 §2.1.1),
 * 404 "Invalid handler specified",
 * 404 "Invalid flow specified", 400 "IP address changed", 400 "User input malformed",
 * 403 "Invalid redirect URI", 403 "Login blocked: <reason>"; and, beyond Home Assistant, 429
 * "Too many password checks at once, try again shortly" with `Retry-After: 1` when the bcrypt queue is
 * full (services/providers/password-checks.ts, answered by error-handler.ts): the flow is left as it was; 429
 * "Too many login flows open from this address, try again later" with `Retry-After` (seconds until
 * its oldest open flow expires) to a start from a client with as many flows open as it may.
 * Every answer that ends an attempt is counted and logged by outcome (login-outcome.ts). A refusal's
 * outcome is named by its code in the error catalog (domain/errors.ts), which has its status and text.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isLocal, parseIp } from '../domain/network.js';
import { isS256Challenge } from '../domain/pkce.js';
import type { Handler } from '../services/login/flow-results.js';
import type { FlowOutcome, LoginFlowService } from '../services/login/login-flows.js';
import type { OnboardingService } from '../services/users/onboarding.js';
import { sendError } from './error-reply.js';
import { acceptJsonBodies, validatedBody } from './json-body.js';
import { noteLoginStep, outcomeOfFlow } from './login-outcome.js';

function render(reply: FastifyReply, outcome: FlowOutcome) {
  switch (outcome.kind) {
    case 'result':
      return reply.send(outcome.result);
    case 'too_many_flows':
      return sendError(reply, 'too_many_flows', { retryAfterSeconds: outcome.retryAfterSeconds });
    case 'login_blocked':
      return sendError(reply, 'login_blocked', { reason: outcome.reason });
    default:
      return sendError(reply, outcome.kind);
  }
}

const startSchema = {
  fields: {
    client_id: { type: 'str', required: true },
    handler: { type: 'handler', required: true },
    redirect_uri: { type: 'str', required: true },
    type: { type: 'str', default: 'authorize' },
    code_challenge: { type: 'str' },
    code_challenge_method: { type: 'str' },
  },
} as const;

/** The PKCE challenge of a start request: null without one, 'invalid' for anything but an S256 challenge. */
function codeChallengeOf(challenge: string | undefined, method: string | undefined): { ok: true; value: string | null } | { ok: false } {
  if (challenge === undefined) return method === undefined ? { ok: true, value: null } : { ok: false };
  // RFC 7636 §4.3: no method means `plain`, which is not supported.
  return method === 'S256' && isS256Challenge(challenge) ? { ok: true, value: challenge } : { ok: false };
}

const stepSchema = { fields: { client_id: { type: 'str', required: true } }, allowExtra: true } as const;

export function loginFlowRoutes(app: FastifyInstance, flows: LoginFlowService, onboarding: OnboardingService): void {
  app.get('/auth/providers', async (request, reply) => {
    if (!(await onboarding.isStarted())) {
      return sendError(reply, 'onboarding_required');
    }
    const ip = parseIp(request.ip);
    if (ip === null) return sendError(reply, 'invalid_remote_ip');
    const providers = flows.providersFor(ip).map(({ name, id, type }) => ({ name, id, type }));
    return { providers, preselect_remember_me: isLocal(ip) };
  });

  void app.register(async (scope) => {
    acceptJsonBodies(scope);

    scope.post('/auth/login_flow', async (request, reply) => {
      const data = await validatedBody(request, reply, startSchema);
      if (data === null) {
        noteLoginStep(request, 'malformed_request');
        return reply;
      }
      const { client_id, handler, redirect_uri, type, code_challenge, code_challenge_method } = data as {
        client_id: string;
        handler: Handler;
        redirect_uri: string;
        type: string;
        code_challenge?: string;
        code_challenge_method?: string;
      };
      const challenge = codeChallengeOf(code_challenge, code_challenge_method);
      if (!challenge.ok) {
        noteLoginStep(request, 'invalid_code_challenge');
        return sendError(reply, 'invalid_code_challenge');
      }
      const start = { clientId: client_id, handler, redirectUri: redirect_uri, type, ip: request.ip, codeChallenge: challenge.value };
      const outcome = await flows.start(start);
      noteLoginStep(request, outcomeOfFlow(outcome));
      return render(reply, outcome);
    });

    scope.post<{ Params: { flowId: string } }>('/auth/login_flow/:flowId', async (request, reply) => {
      const data = await validatedBody(request, reply, stepSchema);
      if (data === null) {
        noteLoginStep(request, 'malformed_request');
        return reply;
      }
      const { client_id: clientId, ...input } = data as { client_id: string };
      const outcome = await flows.step(request.params.flowId, clientId, input, request.ip);
      noteLoginStep(request, outcomeOfFlow(outcome), outcome.login);
      return render(reply, outcome);
    });
  });

  app.get('/auth/login_flow', async (_request, reply) => reply.code(405).send());
  app.get('/auth/login_flow/:flowId', async (_request, reply) => sendError(reply, 'unknown_flow'));
  app.delete<{ Params: { flowId: string } }>('/auth/login_flow/:flowId', async (request, reply) => {
    if (!(await flows.abort(request.params.flowId))) return sendError(reply, 'unknown_flow');
    return { message: 'Flow aborted' };
  });
}

/**
 * The error catalog as a whole (as fastify tests its lib/errors.js): every code, thrown, is answered
 * on both transports as its entry says. HTTP through the real error handler (and, for a code with an
 * OAuth error, the token endpoint's renderer): status, body, `Retry-After`. WebSocket through the
 * real command registry: the `result` message's error code, message and translation.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodedError, ERRORS, type ErrorCode, type ErrorParams, type ParamsOf } from '../../src/domain/errors.js';
import { installErrorHandling } from '../../src/http/error-handler.js';
import { sendOAuthError } from '../../src/http/error-reply.js';
import { commandRegistry, type CommandConnection } from '../../src/ws/command-registry.js';
import type { WsCommand } from '../../src/ws/command.js';
import { Subscriptions } from '../../src/ws/subscriptions.js';
import { aUser } from '../support/fixtures.js';
import { silentLogger } from '../support/logger.js';

/** Params for every code that has any: the compiler asks for each one the catalog adds. */
const PARAMS: { [C in ErrorCode as ParamsOf<C> extends undefined ? never : C]: ParamsOf<C> } = {
  invalid_format: { detail: "extra keys not allowed @ data['x']" },
  login_blocked: { reason: 'User cannot authenticate remotely' },
  too_many_flows: { retryAfterSeconds: 540 },
  access_denied: { reason: 'Not in trusted_networks' },
  client_name_taken: { clientName: 'Phone' },
  refresh_token_exists: { id: '0123456789abcdef0123456789abcdef' },
  username_not_normalized: { new_username: 'Bob ' },
  username_already_exists: { username: 'bob' },
  invalid_group: { groupId: 'admins' },
  credential_taken: { username: 'bob' },
  no_module: { moduleId: 'notify' },
  disable_failed: { moduleId: 'totp', reason: 'System generated users cannot disable multi-factor auth module.' },
};

const CODES = Object.keys(ERRORS) as ErrorCode[];
const paramsOf = (code: ErrorCode): ErrorParams | undefined => (PARAMS as Partial<Record<ErrorCode, ErrorParams>>)[code];
const thrown = (code: ErrorCode) => new (CodedError as new (code: ErrorCode, params?: ErrorParams) => CodedError)(code, paramsOf(code));

/** An entry read loosely, as the test computes what each transport must send from it. */
interface Entry {
  status: number;
  message: string | ((params: ErrorParams | undefined) => string);
  plain?: true;
  codeInBody?: true;
  oauth?: { error: string; described: boolean };
  ws?: string;
  wsMessage?: string | ((params: ErrorParams | undefined) => string);
  translationKey?: string;
  retryAfterSeconds?: number | ((params: ErrorParams | undefined) => number);
}
const entryOf = (code: ErrorCode) => ERRORS[code] as Entry;
const text = <T,>(field: T | ((params: ErrorParams | undefined) => T), code: ErrorCode): T =>
  typeof field === 'function' ? (field as (params: ErrorParams | undefined) => T)(paramsOf(code)) : field;

describe('the error catalog', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    installErrorHandling(app);
    app.get<{ Params: { code: ErrorCode } }>('/thrown/:code', async (request) => {
      throw thrown(request.params.code);
    });
    app.get<{ Params: { code: ErrorCode } }>('/oauth/:code', async (request, reply) => {
      const { code } = request.params;
      return (sendOAuthError as (reply: unknown, code: ErrorCode, params?: ErrorParams) => unknown)(reply, code, paramsOf(code));
    });
    await app.ready();
  });
  afterAll(() => app.close());

  it.each(CODES)('%s: a view answers with its status, body and Retry-After', async (code) => {
    const entry = entryOf(code);
    const message = text(entry.message, code);
    const response = await app.inject({ method: 'GET', url: `/thrown/${code}` });
    expect(response.statusCode).toBe(entry.status);
    expect(response.headers['retry-after']).toBe(entry.retryAfterSeconds === undefined ? undefined : String(text(entry.retryAfterSeconds, code)));
    if (entry.plain === true) {
      expect([response.headers['content-type'], response.body]).toEqual(['text/plain; charset=utf-8', `${entry.status}: ${message}`]);
    } else {
      expect(response.json()).toEqual(entry.codeInBody === true ? { message, code } : { message });
    }
  });

  it.each(CODES.filter((code) => entryOf(code).oauth !== undefined))('%s: the token endpoint answers with its OAuth error', async (code) => {
    const entry = entryOf(code);
    const oauth = entry.oauth ?? expect.fail('an OAuth error');
    const response = await app.inject({ method: 'GET', url: `/oauth/${code}` });
    const description = text(entry.message, code);
    expect([response.statusCode, response.json()]).toEqual([
      entry.status,
      oauth.described ? { error: oauth.error, error_description: description } : { error: oauth.error },
    ]);
  });

  const refusing: WsCommand = {
    type: 'test/refuse',
    fields: { code: { type: 'str', required: true } },
    requires: 'any_user',
    run: async (_context, message) => {
      throw thrown(message.code as ErrorCode);
    },
  };
  const handle = commandRegistry([refusing], silentLogger());

  it.each(CODES)('%s: a command answers with its WebSocket code and message', async (code) => {
    const entry = entryOf(code);
    const sent: object[] = [];
    const connection: CommandConnection = {
      lastId: 0,
      context: async () => ({ user: aUser(), refreshTokenId: 'token', later: () => {} }),
      send: (message) => sent.push(message),
      subscriptions: new Subscriptions(),
    };
    await handle(connection, { id: 1, type: 'test/refuse', code });
    const error = { code: entry.ws ?? 'home_assistant_error', message: text(entry.wsMessage ?? entry.message, code) };
    const translation =
      entry.translationKey === undefined
        ? {}
        : { translation_key: entry.translationKey, translation_placeholders: paramsOf(code) ?? null, translation_domain: 'auth' };
    expect(sent).toEqual([{ id: 1, type: 'result', success: false, error: { ...error, ...translation } }]);
  });
});

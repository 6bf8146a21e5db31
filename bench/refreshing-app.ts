/**
 * A service app in this process (Fastify `inject`, no network) with an onboarded owner and
 * `sessions` refresh tokens (one by default), for benches that time the refresh grant's own cost:
 * `refresh(session)` runs one grant on that session's token, following rotation where a client
 * policy turns it on: with `rotating`, the sessions are logins of ROTATING_CLIENT, whose tokens
 * rotate (seeding.ts TRUSTED_LOOPBACK_CONFIG).
 */
import { buildApp } from '../src/app.js';
import { parseAuthConfig } from '../src/auth-config.js';
import type { Store } from '../src/stores/types.js';
import { CLIENT_ID, ROTATING_CLIENT, TRUSTED_LOOPBACK_CONFIG } from './seeding.js';

type App = Awaited<ReturnType<typeof buildApp>>;

export async function refreshingApp(store: Store, sessions = 1, { rotating = false } = {}): Promise<{ app: App; refresh: (session?: number) => Promise<void> }> {
  const authConfig = parseAuthConfig(TRUSTED_LOOPBACK_CONFIG, 'bench/seeding.ts');
  const app = await buildApp({ store, clock: () => Date.now(), bcryptRounds: 4, authConfig });
  const clientId = rotating ? ROTATING_CLIENT.clientId : CLIENT_ID;
  const onboarded = await app.inject({
    method: 'POST', url: '/api/onboarding/users',
    payload: { name: 'Bench', username: 'bench', password: 'bench-password', client_id: CLIENT_ID, language: 'en' },
  });
  const code = (onboarded.json<{ auth_code: string }>()).auth_code;
  const form = (fields: Record<string, string>) => ({
    method: 'POST' as const, url: '/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
  });
  const redeem = async (authCode: string, client = CLIENT_ID) =>
    (await app.inject(form({ grant_type: 'authorization_code', client_id: client, code: authCode }))).json<{ refresh_token: string }>().refresh_token;
  /** A later login of the owner to `clientId`: the code a login flow ends with. */
  const logIn = async () => {
    const json = (payload: object) => ({ method: 'POST' as const, payload });
    const started = await app.inject({ ...json({ client_id: clientId, handler: ['homeassistant', null], redirect_uri: `${clientId}?auth_callback=1` }), url: '/auth/login_flow' });
    const flowId = started.json<{ flow_id: string }>().flow_id;
    const done = await app.inject({ ...json({ client_id: clientId, username: 'bench', password: 'bench-password' }), url: `/auth/login_flow/${flowId}` });
    return done.json<{ result: string }>().result;
  };
  // The onboarding's token is the frontend's: a rotating app's sessions are all later logins.
  const onboarding = await redeem(code);
  const refreshTokens = rotating ? [] : [onboarding];
  while (refreshTokens.length < sessions) refreshTokens.push(await redeem(await logIn(), clientId));
  return {
    app,
    async refresh(session = 0) {
      const refreshToken = refreshTokens[session] as string;
      const response = await app.inject(form({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }));
      if (response.statusCode !== 200) throw new Error(`refresh answered ${response.statusCode}: ${response.body}`);
      // Rotation, where a policy turns it on, hands out a new refresh token.
      refreshTokens[session] = response.json<{ refresh_token?: string }>().refresh_token ?? refreshToken;
    },
  };
}

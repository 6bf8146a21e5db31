/**
 * A service app in this process (Fastify `inject`, no network) with an onboarded owner and
 * `sessions` refresh tokens (one by default), for benches that time the refresh grant's own cost:
 * `refresh(session)` runs one grant on that session's token, following rotation where a client
 * policy turns it on.
 */
import { buildApp } from '../src/app.js';
import type { Store } from '../src/stores/types.js';

const CLIENT_ID = 'http://127.0.0.1:8123/';

type App = Awaited<ReturnType<typeof buildApp>>;

export async function refreshingApp(store: Store, sessions = 1): Promise<{ app: App; refresh: (session?: number) => Promise<void> }> {
  const app = await buildApp({ store, clock: () => Date.now(), bcryptRounds: 4 });
  const onboarded = await app.inject({
    method: 'POST', url: '/api/onboarding/users',
    payload: { name: 'Bench', username: 'bench', password: 'bench-password', client_id: CLIENT_ID, language: 'en' },
  });
  const code = (onboarded.json<{ auth_code: string }>()).auth_code;
  const form = (fields: Record<string, string>) => ({
    method: 'POST' as const, url: '/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
  });
  const redeem = async (authCode: string) =>
    (await app.inject(form({ grant_type: 'authorization_code', client_id: CLIENT_ID, code: authCode }))).json<{ refresh_token: string }>().refresh_token;
  /** A later login of the owner: the code a login flow ends with. */
  const logIn = async () => {
    const json = (payload: object) => ({ method: 'POST' as const, payload });
    const started = await app.inject({ ...json({ client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: `${CLIENT_ID}?auth_callback=1` }), url: '/auth/login_flow' });
    const flowId = started.json<{ flow_id: string }>().flow_id;
    const done = await app.inject({ ...json({ client_id: CLIENT_ID, username: 'bench', password: 'bench-password' }), url: `/auth/login_flow/${flowId}` });
    return done.json<{ result: string }>().result;
  };
  const refreshTokens = [await redeem(code)];
  while (refreshTokens.length < sessions) refreshTokens.push(await redeem(await logIn()));
  return {
    app,
    async refresh(session = 0) {
      const refreshToken = refreshTokens[session] as string;
      const response = await app.inject(form({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: refreshToken }));
      if (response.statusCode !== 200) throw new Error(`refresh answered ${response.statusCode}: ${response.body}`);
      // Rotation, where a policy turns it on, hands out a new refresh token.
      refreshTokens[session] = response.json<{ refresh_token?: string }>().refresh_token ?? refreshToken;
    },
  };
}

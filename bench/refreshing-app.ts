/**
 * A service app in this process (Fastify `inject`, no network) with an onboarded owner and one
 * refresh token, for benches that time the refresh grant's own cost: `refresh()` runs one grant,
 * following rotation where a client policy turns it on.
 */
import { buildApp } from '../src/app.js';
import type { Store } from '../src/stores/types.js';

const CLIENT_ID = 'http://127.0.0.1:8123/';

type App = Awaited<ReturnType<typeof buildApp>>;

export async function refreshingApp(store: Store): Promise<{ app: App; refresh: () => Promise<void> }> {
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
  let refreshToken = (await app.inject(form({ grant_type: 'authorization_code', client_id: CLIENT_ID, code }))).json<{ refresh_token: string }>().refresh_token;
  return {
    app,
    async refresh() {
      const response = await app.inject(form({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: refreshToken }));
      if (response.statusCode !== 200) throw new Error(`refresh answered ${response.statusCode}: ${response.body}`);
      // Rotation, where a policy turns it on, hands out a new refresh token.
      refreshToken = response.json<{ refresh_token?: string }>().refresh_token ?? refreshToken;
    },
  };
}

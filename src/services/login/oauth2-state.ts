/**
 * The `state` of integrations' OAuth2 account linking (homeassistant/helpers/config_entry_oauth2_flow.py,
 * `_encode_jwt` / `_decode_jwt`): an HS256 JWT `{flow_id, redirect_uri}` under a secret named
 * `oauth2_jwt_secret`. Home Assistant keeps that secret in memory; here it is in the store, so a
 * callback may land on any instance. Home Assistant sets no expiry (§16.2 #18); states made here
 * carry one of 10 minutes, and a state that has one must be current.
 */
import { SignJWT, jwtVerify } from 'jose';
import type { Clock } from '../../domain/clock.js';
import { newSecret } from '../../domain/ids.js';
import type { Store } from '../../stores/types.js';

const SECRET_NAME = 'oauth2_jwt_secret';
export const OAUTH2_STATE_LIFETIME_S = 600;

export interface OAuth2State {
  flow_id: string;
  redirect_uri: string;
}

export interface OAuth2StateService {
  encode(state: OAuth2State): Promise<string>;
  /** The state, or null when it was not made with this deployment's secret or has expired. */
  decode(encoded: string): Promise<OAuth2State | null>;
}

export function oauth2StateService(store: Store, clock: Clock): OAuth2StateService {
  const secret = async () => new TextEncoder().encode(await store.secrets.getOrCreate(SECRET_NAME, newSecret()));
  return {
    async encode(state) {
      const iat = Math.floor(clock() / 1000);
      return new SignJWT({ ...state, iat, exp: iat + OAUTH2_STATE_LIFETIME_S }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(await secret());
    },
    async decode(encoded) {
      // Outside the try: a store that cannot be reached is a 503, not an invalid state.
      const key = await secret();
      try {
        const { payload } = await jwtVerify(encoded, key, { algorithms: ['HS256'], currentDate: new Date(clock()) });
        const { flow_id: flowId, redirect_uri: redirectUri } = payload;
        return typeof flowId === 'string' && typeof redirectUri === 'string' ? { flow_id: flowId, redirect_uri: redirectUri } : null;
      } catch {
        return null;
      }
    },
  };
}

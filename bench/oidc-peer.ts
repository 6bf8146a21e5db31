/**
 * The peer of bench/peer-comparison.ts: node-oidc-provider (panva/node-oidc-provider, a certified
 * OpenID Provider; the exact version is pinned in package.json) configured for the refresh grant
 * Home Assistant's clients use, on its documented Redis adapter (oidc-peer-adapter.ts).
 *
 * - One public client (`token_endpoint_auth_method: none`), as Home Assistant's are.
 * - Opaque access tokens stored through the adapter (the provider's default format); scope
 *   `offline_access` without `openid`, so no ID token is signed: the answer carries what this
 *   service's does, an access token (and, with rotation, the next refresh token).
 * - `rotateRefreshToken` true or false, one configuration each (the default is a function that
 *   rotates a public client's tokens).
 * - Accounts need no lookup: `findAccount` answers any id, as this service's user read is the
 *   store's job, counted on the other side.
 *
 * Refresh tokens are seeded through the provider's own models (`Grant`, `RefreshToken`) rather than
 * by a browser flow: what `save()` writes is exactly what the provider's refresh grant reads.
 *
 * It prints two warnings at start, both harmless here: 9.x asks for Node 22 LTS (it runs on 20, the
 * tests and the bench check its answers), and it uses its quick-start signing keys (nothing here is
 * signed: no ID token, opaque access tokens).
 */
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
import { createClient } from 'redis';
import { redisAdapter, type PeerRedis } from './oidc-peer-adapter.js';

export const PEER_CLIENT_ID = 'bench-peer';
/** The example adapter's prefix; the bench's Redis is its own, so no other prefix is needed. */
export const PEER_KEY_PREFIX = 'oidc:';
const ACCOUNT_ID = 'bench-account';
const SCOPE = 'offline_access';
/** Home Assistant's access tokens live 30 minutes; its refresh tokens do not expire, a month is as good here. */
const ACCESS_TOKEN_TTL_S = 1800;
const REFRESH_TOKEN_TTL_S = 30 * 24 * 3600;

export interface PeerOptions {
  redisUrl: string;
  keyPrefix?: string;
  rotateRefreshToken: boolean;
  issuer?: string;
}

export interface Peer {
  provider: Provider;
  close(): Promise<void>;
}

export async function openPeer({ redisUrl, keyPrefix = PEER_KEY_PREFIX, rotateRefreshToken, issuer = 'http://127.0.0.1' }: PeerOptions): Promise<Peer> {
  const client: PeerRedis = createClient({ url: redisUrl });
  await client.connect();
  const provider = new Provider(issuer, {
    adapter: redisAdapter(client, keyPrefix),
    clients: [
      {
        client_id: PEER_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1:8123/'],
      },
    ],
    scopes: [SCOPE],
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    rotateRefreshToken,
    ttl: { AccessToken: ACCESS_TOKEN_TTL_S, RefreshToken: REFRESH_TOKEN_TTL_S, Grant: REFRESH_TOKEN_TTL_S },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
  });
  return { provider, close: () => client.close() };
}

/** `count` refresh tokens of the peer's client, each of a grant of its own (as `count` logins would leave). */
export async function seedPeerRefreshTokens(provider: Provider, count: number): Promise<string[]> {
  const client = await provider.Client.find(PEER_CLIENT_ID);
  if (client === undefined) throw new Error(`the peer has no client ${PEER_CLIENT_ID}`);
  const seedOne = async () => {
    const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: PEER_CLIENT_ID });
    grant.addOIDCScope(SCOPE);
    const grantId = await grant.save();
    const token = new provider.RefreshToken({ client, accountId: ACCOUNT_ID, grantId, gty: 'authorization_code', scope: SCOPE });
    return token.save();
  };
  return Promise.all(Array.from({ length: count }, seedOne));
}

/** Records that tests put straight into a store, as the services of later issues will. */
import type { RefreshTokenInput } from '../../machines/refresh-token.js';
import { initialEnvelope } from '../../src/runtime/records.js';
import type { Store } from '../../src/stores/types.js';
import type { User } from '../../src/domain/models.js';
import { newId, newSecret, sha256Hex } from '../../src/domain/ids.js';

export function aUser(overrides: Partial<User> = {}): User {
  return {
    id: newId(),
    name: 'Alice',
    isOwner: false,
    isActive: true,
    systemGenerated: false,
    localOnly: false,
    groupIds: ['system-admin'],
    createdAt: 0,
    ...overrides,
  };
}

/** Creates an `issued` refresh token for `userId`; returns its id, secret and jwt key. */
export async function issueRefreshToken(store: Store, userId: string, createdAt: number, overrides: Partial<RefreshTokenInput> = {}) {
  const id = newId();
  const secret = newSecret();
  const jwtKey = newSecret();
  const { envelope } = initialEnvelope('refreshToken', {
    id,
    userId,
    clientId: 'https://app.example/',
    clientName: null,
    clientIcon: null,
    tokenType: 'normal',
    createdAt,
    accessTokenExpirationS: 1800,
    jwtKey,
    credentialId: null,
    version: null,
    ...overrides,
  });
  const tokenHash = sha256Hex(secret);
  if (!(await store.refreshTokens.create({ id, userId, tokenHash }, envelope))) throw new Error('token not created');
  return { id, secret, jwtKey };
}

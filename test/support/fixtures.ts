/** Records that tests put straight into a store, as the services of later issues will. */
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import type { RefreshTokenInput } from '../../machines/refresh-token.js';
import { initialEnvelope } from '../../src/services/persisted-actor.js';
import type { Store, User } from '../../src/stores/types.js';

export function aUser(overrides: Partial<User> = {}): User {
  return {
    id: randomUUID().replaceAll('-', ''),
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
  const id = randomUUID().replaceAll('-', '');
  const secret = randomBytes(64).toString('hex');
  const jwtKey = randomBytes(64).toString('hex');
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
  const tokenHash = createHash('sha256').update(secret).digest('hex');
  if (!(await store.refreshTokens.create({ id, userId, tokenHash }, envelope))) throw new Error('token not created');
  return { id, secret, jwtKey };
}

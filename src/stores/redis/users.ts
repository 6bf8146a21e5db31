/** The Redis UserStore: users, their credentials, and the `homeassistant` provider's passwords. */
import type { UserStore } from '../types.js';
import { redisCredentials } from './credentials.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';
import { redisPasswords } from './passwords.js';
import { redisUserRecords } from './user-records.js';

export function redisUsers(run: Run, keys: RedisKeys): UserStore {
  return {
    ...redisUserRecords(run, keys),
    ...redisCredentials(run, keys),
    ...redisPasswords(run, keys),
  };
}

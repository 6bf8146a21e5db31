/**
 * `POST /auth/link_user` (homeassistant/components/auth/__init__.py, `LinkUserView`): attaches the
 * credential that a `link_user` login flow proved to the signed-in user. The code is consumed like
 * any code (Home Assistant does not tell the two kinds apart, ha-auth-spec §16.2 #9); the refresh-token
 * id a redemption reserves stays unused here.
 */
import { newId } from '../../domain/ids.js';
import type { User } from '../../domain/models.js';
import type { LoginGrantService } from './authorization-codes.js';
import type { UserService } from '../users/users.js';

export type LinkOutcome = 'linked' | 'invalid_code' | 'already_linked';

export interface LinkUserService {
  link(user: User, clientId: string, code: string): Promise<LinkOutcome>;
}

export function linkUserService(users: UserService, grants: LoginGrantService): LinkUserService {
  return {
    async link(user, clientId, code) {
      const redemption = await grants.redeem(clientId, code, newId());
      if (!redemption.ok) return 'invalid_code';
      const linkedTo = await users.userOf(redemption.credential);
      if (linkedTo !== null) return linkedTo.id === user.id ? 'linked' : 'already_linked';
      if (await users.link(user, redemption.credential)) return 'linked';
      // Linked by someone else between our read and our write.
      return (await users.userOf(redemption.credential))?.id === user.id ? 'linked' : 'already_linked';
    },
  };
}

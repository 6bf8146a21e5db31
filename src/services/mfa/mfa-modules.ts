/**
 * The configured MFA modules and what users set up (Home Assistant's `AuthManager` MFA methods,
 * homeassistant/auth/__init__.py; ha-auth-spec §14.7):
 *
 * - `enabledModules` is `async_get_enabled_mfa`: the modules the user set up, in configuration order;
 *   the login flow asks for a code only when there is one (§5.3).
 * - `describe` is `auth/current_user`'s `mfa_modules`: every configured module, `enabled` when set up.
 * - `depose` is `async_disable_user_mfa`, with Home Assistant's refusals and texts; deposing a module
 *   the user never set up is no error.
 *
 * Refusals are catalogued errors (domain/errors.ts) with Home Assistant's WebSocket codes.
 */
import type { MfaModuleConfig } from '../../auth-config.js';
import type { Clock } from '../../domain/clock.js';
import { CodedError } from '../../domain/errors.js';
import type { Store } from '../../stores/types.js';
import type { User } from '../../domain/models.js';
import { totpModule, type MfaModule } from './totp-module.js';

export interface MfaModuleStatus {
  id: string;
  name: string;
  enabled: boolean;
}

export interface MfaService {
  readonly modules: readonly MfaModule[];
  module(id: string): MfaModule | undefined;
  enabledModules(userId: string): Promise<MfaModule[]>;
  describe(userId: string): Promise<MfaModuleStatus[]>;
  depose(user: User, moduleId: string): Promise<void>;
}

export function mfaService(store: Store, clock: Clock, configured: readonly MfaModuleConfig[]): MfaService {
  const modules = configured.map((config) => totpModule(config, store.mfa, clock));
  const byId = new Map(modules.map((module) => [module.id, module]));

  const enabledModules = async (userId: string) => {
    const ids = new Set(await store.mfa.listModuleIds(userId));
    return modules.filter((module) => ids.has(module.id));
  };

  return {
    modules,
    module: (id) => byId.get(id),
    enabledModules,

    async describe(userId) {
      const enabled = new Set((await enabledModules(userId)).map((module) => module.id));
      return modules.map(({ id, name }) => ({ id, name, enabled: enabled.has(id) }));
    },

    async depose(user, moduleId) {
      const refuse = (reason: string) => new CodedError('disable_failed', { moduleId, reason });
      if (user.systemGenerated) throw refuse('System generated users cannot disable multi-factor auth module.');
      const module = byId.get(moduleId);
      if (module === undefined) throw refuse(`Unable find multi-factor auth module: ${moduleId}`);
      await module.depose(user.id);
    },
  };
}

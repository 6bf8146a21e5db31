/**
 * Planning onboarding, users, the owner and TOTP secrets (import-plan.ts). A user is `present` when the store
 * has one with its id and the same name, flags and groups (its creation time is the store's own);
 * another user as the store's owner, while Home Assistant's owner is someone else, is an `owner`
 * conflict: `keep` imports Home Assistant's owner as a plain user, `replace` makes the store's owner
 * a plain user first (there is one owner). Users are created in Home Assistant's order, one
 * millisecond apart, so that lists that sort by creation show them as Home Assistant does.
 */
import { UnreadableRecordError } from '../../stores/envelope-codec.js';
import type { Store } from '../../stores/types.js';
import type { User } from '../../domain/models.js';
import { TOTP_MODULE_ID, type ImportedTotpSecret, type ImportedUser } from './ha-records.js';
import { expectWritten, type ImportStep, type Resolution } from './import-plan.js';

export interface PlanContext {
  store: Store;
  resolution: Resolution;
  /** Epoch ms: new users' `createdAt`. */
  now: number;
}

/** Home Assistant's onboarding `user` step, when done there: `present` when the store is onboarded already. */
export async function planOnboarding({ store }: PlanContext, onboarded: boolean): Promise<ImportStep[]> {
  if (!onboarded) return [];
  const label = "Home Assistant's user step is done";
  if (await store.users.isOnboarded()) return [{ kind: 'onboarding', label, status: 'present', conflict: null, run: null }];
  return [{ kind: 'onboarding', label, status: 'new', conflict: null, run: () => store.users.markOnboarded() }];
}

export function userLabel(user: ImportedUser): string {
  const traits = [user.isOwner ? 'owner' : null, user.systemGenerated ? 'system user' : null, user.isActive ? null : 'inactive', user.localOnly ? 'local only' : null];
  const groups = user.groupIds.length === 0 ? 'no group' : user.groupIds.join(' ');
  return `${user.id} ${JSON.stringify(user.name)} (${[...traits.filter((trait) => trait !== null), groups].join(', ')})`;
}

/** What differs between the store's user and Home Assistant's, in words; empty when nothing does. */
function differences(stored: User, imported: ImportedUser): string[] {
  const fields: Array<[string, unknown, unknown]> = [
    ['name', stored.name, imported.name],
    ['owner', stored.isOwner, imported.isOwner],
    ['active', stored.isActive, imported.isActive],
    ['system user', stored.systemGenerated, imported.systemGenerated],
    ['local only', stored.localOnly, imported.localOnly],
    ['groups', stored.groupIds.join(' '), imported.groupIds.join(' ')],
  ];
  return fields
    .filter(([, here, there]) => here !== there)
    .map(([name, here, there]) => `${name} ${JSON.stringify(here)} here, ${JSON.stringify(there)} in Home Assistant`);
}

function planUser({ store, resolution, now }: PlanContext, user: ImportedUser, stored: User | undefined, order: number, ownerTaken: boolean): ImportStep {
  if (stored === undefined) {
    // With `keep`, the store's owner stays the owner, and Home Assistant's joins as a plain user.
    const wanted = ownerTaken ? { ...user, isOwner: false } : user;
    const label = ownerTaken ? `${userLabel(user)}, imported as a plain user: the store has its owner` : userLabel(user);
    const run = async () => expectWritten(await store.users.createUser({ ...wanted, createdAt: now + order }, { asOwner: wanted.isOwner }), `user ${user.id}`);
    return { kind: 'user', label, status: 'new', conflict: null, run };
  }
  const differ = differences(stored, user);
  if (differ.length === 0) return { kind: 'user', label: userLabel(user), status: 'present', conflict: null, run: null };
  const replace = async () => expectWritten(await store.users.updateUser({ ...user, createdAt: stored.createdAt }), `user ${user.id}`);
  return { kind: 'user', label: userLabel(user), status: 'conflict', conflict: differ.join('; '), run: resolution === 'replace' ? replace : null };
}

export async function planUsers(context: PlanContext, users: ImportedUser[]): Promise<ImportStep[]> {
  const { store, resolution } = context;
  const storedUsers = new Map((await store.users.listUsers()).map((user) => [user.id, user]));
  const importedOwner = users.find((user) => user.isOwner);
  const storeOwner = [...storedUsers.values()].find((user) => user.isOwner);
  const steps: ImportStep[] = [];
  const ownerConflict = importedOwner !== undefined && storeOwner !== undefined && storeOwner.id !== importedOwner.id;
  if (ownerConflict) {
    const demote = async () => expectWritten(await store.users.updateUser({ ...storeOwner, isOwner: false }), `user ${storeOwner.id}`);
    steps.push({
      kind: 'owner',
      label: `Home Assistant's owner ${importedOwner.id} ${JSON.stringify(importedOwner.name)}`,
      status: 'conflict',
      conflict: `the store's owner is ${storeOwner.id} ${JSON.stringify(storeOwner.name)}`,
      run: resolution === 'replace' ? demote : null,
    });
  }
  users.forEach((user, order) => steps.push(planUser(context, user, storedUsers.get(user.id), order, ownerConflict && resolution === 'keep' && user.isOwner)));
  return steps;
}

/** The store's TOTP secret of the user; `unreadable` when one is stored that no key opens. */
async function storedTotpSecret(store: Store, userId: string): Promise<string | null | { unreadable: true }> {
  try {
    return await store.mfa.getSecret(TOTP_MODULE_ID, userId);
  } catch (error) {
    if (error instanceof UnreadableRecordError) return { unreadable: true };
    throw error;
  }
}

export async function planTotpSecrets({ store, resolution }: PlanContext, secrets: ImportedTotpSecret[]): Promise<ImportStep[]> {
  return Promise.all(
    secrets.map(async ({ userId, secret }): Promise<ImportStep> => {
      const label = `user ${userId}`;
      // No step counts as used yet: the first code the app shows is accepted (then only later ones).
      const run = async () => expectWritten(await store.mfa.setSecret(TOTP_MODULE_ID, userId, secret, 0), `user ${userId}`);
      const stored = await storedTotpSecret(store, userId);
      if (stored === null) return { kind: 'totp secret', label, status: 'new', conflict: null, run };
      if (stored === secret) return { kind: 'totp secret', label, status: 'present', conflict: null, run: null };
      const conflict = typeof stored === 'string' ? 'the user has another TOTP secret here' : "the user's TOTP secret here opens with no key given";
      return { kind: 'totp secret', label, status: 'conflict', conflict, run: resolution === 'replace' ? run : null };
    }),
  );
}

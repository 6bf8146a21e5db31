/**
 * Planning credentials and password entries (import-plan.ts). A credential is `present` when the
 * store has it with its id, user, provider and data; it conflicts when its id or its login (provider,
 * username) is something else here, typically the same username linked to another user. `replace`
 * removes the store's credentials in the way before adding Home Assistant's (the other user loses
 * that login; its tokens stay, as when Home Assistant removes a credential). A password entry is
 * `present` when the store has the same hash for the username.
 */
import type { Credential, PasswordEntry } from '../../domain/models.js';
import { expectWritten, type ImportStep } from './import-plan.js';
import type { PlanContext } from './plan-users.js';

const credentialLabel = (c: Credential) => `${c.id} ${c.authProviderType} ${JSON.stringify(c.lookupKey)} of user ${c.userId}`;

const sortedData = (data: Record<string, string>) => JSON.stringify(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));

function sameCredential(a: Credential, b: Credential): boolean {
  return (
    a.id === b.id &&
    a.userId === b.userId &&
    a.authProviderType === b.authProviderType &&
    a.authProviderId === b.authProviderId &&
    a.lookupKey === b.lookupKey &&
    sortedData(a.data) === sortedData(b.data)
  );
}

function describeOther(other: Credential, imported: Credential): string {
  if (other.id !== imported.id) return `the login is ${other.userId === imported.userId ? 'this' : 'another'} user's here: credential ${credentialLabel(other)}`;
  return `the credential id is ${credentialLabel(other)} here`;
}

async function planCredential({ store, resolution }: PlanContext, credential: Credential): Promise<ImportStep> {
  const { authProviderType, authProviderId, lookupKey } = credential;
  const byId = await store.users.getCredential(credential.id);
  const byLogin = await store.users.findCredential(authProviderType, authProviderId, lookupKey);
  const label = credentialLabel(credential);
  if (byId !== null && sameCredential(byId, credential)) return { kind: 'credential', label, status: 'present', conflict: null, run: null };
  const inTheWay = [byId, byLogin].filter((other, index, all): other is Credential => other !== null && all.findIndex((c) => c?.id === other.id) === index);
  const add = async () => expectWritten(await store.users.addCredential(credential), `credential ${credential.id}`);
  if (inTheWay.length === 0) return { kind: 'credential', label, status: 'new', conflict: null, run: add };
  const replace = async () => {
    for (const other of inTheWay) await store.users.removeCredential(other.id);
    await add();
  };
  const conflict = inTheWay.map((other) => describeOther(other, credential)).join('; ');
  return { kind: 'credential', label, status: 'conflict', conflict, run: resolution === 'replace' ? replace : null };
}

export async function planCredentials(context: PlanContext, credentials: Credential[]): Promise<ImportStep[]> {
  const steps: ImportStep[] = [];
  for (const credential of credentials) steps.push(await planCredential(context, credential));
  return steps;
}

export async function planPasswords({ store, resolution }: PlanContext, passwords: PasswordEntry[]): Promise<ImportStep[]> {
  return Promise.all(
    passwords.map(async (entry): Promise<ImportStep> => {
      const label = JSON.stringify(entry.username);
      const stored = await store.users.getPassword(entry.username);
      if (stored === null) {
        const add = async () => expectWritten(await store.users.addPassword(entry), `the password of ${label}`);
        return { kind: 'password', label, status: 'new', conflict: null, run: add };
      }
      if (stored.passwordHash === entry.passwordHash) return { kind: 'password', label, status: 'present', conflict: null, run: null };
      const replace = async () => expectWritten(await store.users.setPassword(entry), `the password of ${label}`);
      return { kind: 'password', label, status: 'conflict', conflict: 'another password is set here', run: resolution === 'replace' ? replace : null };
    }),
  );
}

/**
 * checkStoreInvariants(store): walks everything a store holds (`readContents`, types.ts
 * `StoreContents`) and lists every way it is not a state the service could have written: a record
 * that does not decode or sits in no state of its machine, a context that contradicts its state, an
 * index entry that points at no record or at another one, a user or credential that the others do
 * not agree about. An empty list is a consistent store. For tests that throw junk at the service
 * (test/fuzz/) or stop it mid-write: read the store at rest, since the Redis walk is not one
 * transaction.
 */
import type { AnyStateMachine } from 'xstate';
import { machines, type MachineName } from '../../machines/index.js';
import { restoreSnapshot } from '../../src/stores/envelope.js';
import type { ReadableStore } from '../../src/stores/store-contents.js';
import type { CredentialLogin, StoreContents, StoredRecord } from '../../src/stores/store-contents.js';

interface StateNodeLike {
  type: string;
  states: Record<string, StateNodeLike>;
}

/** Every value a snapshot of the machine can hold: `"a"` for a top-level state, `{"a": "b"}` nested. */
function stateValues(node: StateNodeLike): unknown[] {
  return Object.entries(node.states).flatMap(([key, child]): unknown[] => {
    if (child.type === 'compound') return stateValues(child).map((value) => ({ [key]: value }));
    if (child.type === 'parallel') throw new Error('parallel states are not persisted by any machine here');
    return child.type === 'history' ? [] : [key];
  });
}

const STATES = Object.fromEntries(
  Object.entries(machines).map(([name, { machine }]) => [name, new Set(stateValues((machine as AnyStateMachine).root).map((v) => JSON.stringify(v)))]),
) as Record<MachineName, Set<string>>;

const FINAL = Object.fromEntries(
  Object.entries(machines).map(([name, { machine }]) => [
    name,
    new Set(Object.entries((machine as AnyStateMachine).root.states).filter(([, node]) => node.type === 'final').map(([key]) => JSON.stringify(key))),
  ]),
) as Record<MachineName, Set<string>>;

type Context = Record<string, unknown>;
const set = (value: unknown) => value !== null && value !== undefined;

/**
 * What each state promises about its record's context (machines/*.ts: the actions that enter it
 * assign these), and which context field repeats the record's id.
 */
const CONTEXT_RULES: Record<MachineName, { idField: string | null; rules: Record<string, (context: Context) => boolean> }> = {
  loginGrant: {
    idField: null,
    rules: {
      issued: (c) => !set(c.refreshTokenId) && !set(c.endedAt),
      // machines/login-grant.ts `recordRedemption` sets both: a redeemed code's life as a code ended.
      redeemed: (c) => set(c.refreshTokenId) && set(c.endedAt),
      expired: (c) => set(c.endedAt),
      revoked: (c) => set(c.endedAt),
    },
  },
  refreshToken: {
    idField: 'id',
    rules: {
      issued: (c) => !set(c.successorId) && !set(c.endedAt) && !set(c.endReason),
      redeemed: (c) => set(c.successorId) && set(c.redeemedAt) && !set(c.endedAt),
      expired: (c) => set(c.endedAt) && c.endReason === 'expired',
      revoked: (c) => set(c.endedAt) && set(c.endReason) && c.endReason !== 'expired',
    },
  },
  loginFlow: {
    idField: 'flowId',
    rules: {
      credentials: (c) => !set(c.abortReason),
      mfa_select: (c) => set(c.credential) && !set(c.abortReason),
      mfa: (c) => set(c.credential) && set(c.mfaModuleId) && !set(c.abortReason),
      done: (c) => set(c.credential) && !set(c.abortReason),
      aborted: (c) => set(c.abortReason),
    },
  },
  mfaSetupFlow: {
    idField: 'flowId',
    rules: {
      awaiting_code: (c) => !set(c.confirmedAt),
      confirmed: (c) => set(c.confirmedAt),
      expired: (c) => !set(c.confirmedAt),
    },
  },
};

const RULE_FIELDS = ['refreshTokenId', 'endedAt', 'endReason', 'successorId', 'redeemedAt', 'abortReason', 'mfaModuleId', 'confirmedAt', 'credential'];

function recordProblems(machine: MachineName, { id, envelope }: StoredRecord): string[] {
  const where = `${machine} ${id}`;
  if (envelope === null) return [`${where}: the stored text is not an envelope`];
  if (envelope.machine !== machine) return [`${where}: an envelope of ${envelope.machine}`];
  const problems: string[] = [];
  if (!Number.isInteger(envelope.rev) || envelope.rev < 1) problems.push(`${where}: rev ${envelope.rev}`);
  const restored = restoreSnapshot(machine, envelope);
  if (!restored.ok) return [...problems, `${where}: unreadable (${restored.reason})`];
  const { value, status, context } = restored.snapshot as unknown as { value: unknown; status: string; context: Context };
  const state = JSON.stringify(value);
  if (!STATES[machine].has(state)) return [...problems, `${where}: state ${state} is not one of ${[...STATES[machine]].join(', ')}`];
  const storedStatus = (envelope.snapshot as { status?: unknown }).status;
  const expectedStatus = FINAL[machine].has(state) ? 'done' : 'active';
  if (storedStatus !== expectedStatus || status !== expectedStatus) problems.push(`${where}: status ${String(storedStatus)} in state ${state}`);
  const { idField, rules } = CONTEXT_RULES[machine];
  if (idField !== null && context[idField] !== id) problems.push(`${where}: context.${idField} is ${JSON.stringify(context[idField])}`);
  const rule = typeof value === 'string' ? rules[value] : undefined;
  if (rule !== undefined && !rule(context)) {
    // The fields the rules read, not the whole context, which holds secrets (a token's `jwtKey`).
    const shown = Object.fromEntries(RULE_FIELDS.filter((field) => field in context).map((field) => [field, context[field]]));
    problems.push(`${where}: a context that state ${state} cannot have: ${JSON.stringify(shown)}`);
  }
  return problems;
}

const loginText = (login: CredentialLogin | null) => JSON.stringify(login && [login.authProviderType, login.authProviderId, login.lookupKey]);

function indexProblems(contents: StoreContents): string[] {
  const problems: string[] = [];
  const users = new Map(contents.users.map((user) => [user.id, user]));
  if (users.size !== contents.users.length) problems.push('users: an id listed twice');

  // Refresh tokens: record ⇄ hash index, record → user index (an entry of that index whose record is
  // gone is allowed: Redis drops it when a listing meets it, types.ts StoreContents), live ⇒ user exists.
  const tokens = new Map(contents.records.refreshToken.map((record) => [record.id, record]));
  const tokenKeys = new Map(contents.refreshTokenKeys.map((keys) => [keys.id, keys]));
  const byHash = new Map(contents.refreshTokenHashIndex.map(({ tokenHash, id }) => [tokenHash, id]));
  const userIndex = new Set(contents.userRefreshTokenIndex.map(({ userId, id }) => `${userId} ${id}`));
  for (const { id, tokenHash, userId } of contents.refreshTokenKeys) {
    const where = `refreshToken ${id}`;
    if (byHash.get(tokenHash) !== id) problems.push(`${where}: its hash index entry points at ${JSON.stringify(byHash.get(tokenHash) ?? null)}`);
    if (!userIndex.has(`${userId} ${id}`)) problems.push(`${where}: missing from the index of user ${userId}`);
    const snapshot = tokens.get(id)?.envelope?.snapshot as { value?: unknown; context?: Context } | undefined;
    if (snapshot?.context !== undefined && snapshot.context.userId !== userId) problems.push(`${where}: filed under user ${userId}, context says ${String(snapshot.context.userId)}`);
    const live = snapshot?.value === 'issued' || snapshot?.value === 'redeemed';
    if (live && !users.has(userId)) problems.push(`${where}: usable (${String(snapshot.value)}) but its user ${userId} does not exist`);
  }
  for (const { tokenHash, id } of contents.refreshTokenHashIndex) {
    if (tokenKeys.get(id)?.tokenHash !== tokenHash) problems.push(`refresh token hash index ${tokenHash}: points at ${id}, which is not that token's record`);
  }
  for (const { userId, id } of contents.userRefreshTokenIndex) {
    const keys = tokenKeys.get(id);
    if (keys !== undefined && keys.userId !== userId) problems.push(`refresh token index of user ${userId}: holds ${id}, a token of ${keys.userId}`);
  }

  // Owners: the set the one-owner rule reads agrees with the users' flags.
  const flagged = contents.users.filter((user) => user.isOwner).map((user) => user.id).sort();
  const owners = [...contents.ownerIds].sort();
  if (JSON.stringify(flagged) !== JSON.stringify(owners)) problems.push(`owners: ${JSON.stringify(owners)}, users flagged owner: ${JSON.stringify(flagged)}`);

  // Credentials: record ⇄ login index, record ⇄ user index, user exists.
  const credentials = new Map(contents.credentials.map((stored) => [stored.id, stored]));
  const logins = new Map(contents.credentialLoginIndex.map(({ login, id }) => [loginText(login), id]));
  const credentialIndex = new Set(contents.userCredentialIndex.map(({ userId, id }) => `${userId} ${id}`));
  for (const { id, credential, userId, login } of contents.credentials) {
    const where = `credential ${id}`;
    if (credential.id !== id || credential.userId !== userId) problems.push(`${where}: filed as ${id} of ${userId}, reads ${credential.id} of ${credential.userId}`);
    if (!users.has(userId)) problems.push(`${where}: its user ${userId} does not exist`);
    if (loginText(login) !== loginText(credential)) problems.push(`${where}: filed under login ${loginText(login)}, reads ${loginText(credential)}`);
    if (logins.get(loginText(credential)) !== id) problems.push(`${where}: its login index entry points at ${JSON.stringify(logins.get(loginText(credential)) ?? null)}`);
    if (!credentialIndex.has(`${userId} ${id}`)) problems.push(`${where}: missing from the index of user ${userId}`);
  }
  for (const { login, id } of contents.credentialLoginIndex) {
    if (loginText(credentials.get(id)?.credential ?? null) !== loginText(login)) problems.push(`credential login index ${loginText(login)}: points at ${id}, which is not that login's record`);
  }
  for (const { userId, id } of contents.userCredentialIndex) {
    if (credentials.get(id)?.userId !== userId) problems.push(`credential index of user ${userId}: holds ${id}, which is no credential of that user`);
  }

  for (const { moduleId, userId } of contents.mfaSecrets) {
    if (!users.has(userId)) problems.push(`MFA secret of module ${moduleId}: its user ${userId} does not exist`);
  }
  return problems;
}

/** Every inconsistency of what `store` holds now, in words; empty when there is none. */
export async function checkStoreInvariants(store: ReadableStore): Promise<string[]> {
  const contents = await store.readContents();
  const records = (Object.keys(contents.records) as MachineName[]).flatMap((machine) =>
    contents.records[machine].flatMap((record) => recordProblems(machine, record)),
  );
  return [...records, ...indexProblems(contents)];
}

/**
 * Planning refresh tokens (import-plan.ts). A token is `present` when the store has a record with its
 * id made from the same Home Assistant token: same user, client, type, creation, access-token
 * lifetime, `jwt_key`, credential and version, and its secret hashes to that id. Whatever happened to
 * it here since (used, slid, revoked) is its own life and no conflict: a second import leaves it
 * alone. It conflicts when the id holds another token, or its secret is another id's. `replace`
 * deletes what is in the way, announces the end on the revocation bus (sockets close everywhere), and
 * creates Home Assistant's.
 */
import type { RefreshTokenContext, RefreshTokenInput } from '../../../machines/refresh-token.js';
import { sha256Hex } from '../../domain/ids.js';
import { UnreadableRecordError } from '../../stores/envelope-codec.js';
import { restoreSnapshot } from '../../stores/envelope.js';
import type { Store } from '../../stores/types.js';
import { initialEnvelope } from '../../runtime/records.js';
import type { ImportedRefreshToken } from './ha-records.js';
import { expectWritten, type ImportStep } from './import-plan.js';
import type { PlanContext } from './plan-users.js';

/** The fields that make a token the one Home Assistant had, with Home Assistant's names. */
const IDENTITY: Array<[keyof RefreshTokenContext, string]> = [
  ['userId', 'user_id'],
  ['clientId', 'client_id'],
  ['clientName', 'client_name'],
  ['clientIcon', 'client_icon'],
  ['tokenType', 'token_type'],
  ['createdAt', 'created_at'],
  ['accessTokenExpirationS', 'access_token_expiration'],
  ['jwtKey', 'jwt_key'],
  ['credentialId', 'credential_id'],
  ['version', 'version'],
];

type Stored = { kind: 'absent' } | { kind: 'unreadable' } | { kind: 'token'; context: RefreshTokenContext; state: string };

async function loadStored(store: Store, id: string): Promise<Stored> {
  let envelope;
  try {
    envelope = await store.refreshTokens.load(id);
  } catch (error) {
    if (error instanceof UnreadableRecordError) return { kind: 'unreadable' };
    throw error;
  }
  if (envelope === null) return { kind: 'absent' };
  const restored = restoreSnapshot('refreshToken', envelope);
  if (!restored.ok) return { kind: 'unreadable' };
  return { kind: 'token', context: restored.snapshot.context, state: String(restored.snapshot.value) };
}

function tokenLabel(input: RefreshTokenInput): string {
  const client = input.tokenType === 'long_lived_access_token' ? JSON.stringify(input.clientName) : (input.clientId ?? 'no client');
  return `${input.id} ${input.tokenType} ${client} of user ${input.userId}`;
}

/** What is in the way of Home Assistant's token, in words; empty when the store holds that very token. */
function obstacles(stored: Stored, hashOwner: string | null, input: RefreshTokenInput): string[] {
  const found: string[] = [];
  if (stored.kind === 'unreadable') found.push(`the store's record ${input.id} cannot be read`);
  if (stored.kind === 'token') {
    const differing = IDENTITY.filter(([key]) => stored.context[key] !== (input as unknown as RefreshTokenContext)[key]).map(([, name]) => name);
    if (differing.length > 0) found.push(`the id holds another token here (${differing.join(', ')} differ)`);
  }
  if (hashOwner !== null && hashOwner !== input.id) found.push(`its secret is token ${hashOwner}'s here`);
  else if (hashOwner === null && stored.kind === 'token') found.push('the id holds a token with another secret here');
  return found;
}

async function planToken({ store, resolution }: PlanContext, { input, secret }: ImportedRefreshToken): Promise<ImportStep> {
  const tokenHash = sha256Hex(secret);
  const label = tokenLabel(input);
  const [stored, hashOwner] = await Promise.all([loadStored(store, input.id), store.refreshTokens.findIdByTokenHash(tokenHash)]);
  const { envelope } = initialEnvelope('refreshToken', input);
  const create = async () => {
    expectWritten(await store.refreshTokens.create({ id: input.id, userId: input.userId, tokenHash }, envelope), `refresh token ${input.id}`);
  };
  const inTheWay = obstacles(stored, hashOwner, input);
  if (inTheWay.length === 0) {
    if (stored.kind === 'absent') return { kind: 'refresh token', label, status: 'new', conflict: null, run: create };
    const state = stored.kind === 'token' && stored.state !== 'issued' ? ` (${stored.state} here)` : '';
    return { kind: 'refresh token', label: `${label}${state}`, status: 'present', conflict: null, run: null };
  }
  const replace = async () => {
    const ended = [...new Set([stored.kind === 'absent' ? null : input.id, hashOwner].filter((id) => id !== null))];
    for (const id of ended) await store.refreshTokens.delete(id);
    if (ended.length > 0) await store.revocations.publish(ended);
    await create();
  };
  return { kind: 'refresh token', label, status: 'conflict', conflict: inTheWay.join('; '), run: resolution === 'replace' ? replace : null };
}

export async function planRefreshTokens(context: PlanContext, tokens: ImportedRefreshToken[]): Promise<ImportStep[]> {
  const steps: ImportStep[] = [];
  for (const token of tokens) steps.push(await planToken(context, token));
  return steps;
}

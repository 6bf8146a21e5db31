/**
 * A refresh token's last use as the stores keep it: beside the record's envelope (Redis hash fields
 * `used_at` and `used_ip`, SQLite columns `last_used_at` and `last_used_ip`), written by
 * RefreshTokenStore.recordUse without changing the envelope or its revision, so that uses of one
 * token do not conflict with one another (issue 16). Every read of the record gives the envelope with
 * that use merged into its snapshot (machines/refresh-token.ts `withRecordedUse`), so services and
 * machines see one token, whose last use is the latest and whose expiry slid with it.
 */
import { withRecordedUse, type RecordedUse } from '../../machines/refresh-token.js';
import type { Envelope } from './types.js';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The use as stored: `at` a time (a number, or its digits), `ip` a string ('' or absent for none); null when no use was recorded. */
export function storedUse(at: unknown, ip: unknown): RecordedUse | null {
  const time = typeof at === 'number' ? at : typeof at === 'string' && at !== '' ? Number(at) : NaN;
  if (!Number.isFinite(time)) return null;
  return { at: time, ip: typeof ip === 'string' && ip !== '' ? ip : null };
}

/** The envelope with `use` merged into its snapshot; as it is when there is none, or when its snapshot is not a token's. */
export function withStoredUse(envelope: Envelope, use: RecordedUse | null): Envelope {
  if (use === null || !isObject(envelope.snapshot) || !isObject(envelope.snapshot.context)) return envelope;
  const { context } = envelope.snapshot;
  const { lastUsedAt, lastUsedIp, expireAt } = context;
  const known = (lastUsedAt === null || typeof lastUsedAt === 'number') && (lastUsedIp === null || typeof lastUsedIp === 'string') && (expireAt === null || typeof expireAt === 'number');
  if (!known) return envelope;
  const merged = withRecordedUse({ lastUsedAt, lastUsedIp, expireAt }, use);
  return { ...envelope, snapshot: { ...envelope.snapshot, context: { ...context, ...merged } } };
}

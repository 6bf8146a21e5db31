/**
 * Envelope records under an id: login grants and login flows, with `PX` TTLs (ARCHITECTURE.md,
 * "Expiry is data": the TTL collects garbage, the machines' guards decide). Refresh tokens reuse
 * `load` and `compareAndSet` with their hash index as the companion key that shares the TTL.
 * Redis drops a key when its TTL ends, so a record past its TTL is absent to every read and write.
 */
import type { MachineName } from '../../../machines/index.js';
import type { ActorRecords, CasResult, Envelope } from '../types.js';
import { storedUse, withStoredUse } from '../refresh-token-use.js';
import { assertRev, type EnvelopeCodec } from '../envelope-codec.js';
import { createTtlArgument, ttlChangeArgument } from './codec.js';
import { auditKeptWith } from './audit.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

export interface RecordSpace {
  /** Names operations in errors: `grants`, `flows`, `refreshTokens`. */
  name: string;
  keys: RedisKeys;
  key: (id: string) => string;
  /** Whose per-state counts the writes keep (record-counts.ts). */
  machine: MachineName;
  /** Stem, in a bucket, of the key named by the record's `hash` field that takes the record's TTL (none: no such key). */
  companionStem?: (bucket: number) => string;
}

/**
 * The stored envelope with the use kept beside it merged in (refresh tokens: refresh-token-use.ts;
 * other records keep none, and come back as stored); null when nothing is stored.
 */
export function decodeStored(codec: EnvelopeCodec, id: string, env: string | null, usedAt: string | null | undefined, usedIp: string | null | undefined): Envelope | null {
  return env === null ? null : withStoredUse(codec.decode(id, env), storedUse(usedAt, usedIp));
}

export function redisEnvelopeAccess(run: Run, space: RecordSpace, codec: EnvelopeCodec): Pick<ActorRecords, 'load' | 'compareAndSet'> {
  return {
    load: async (id) => {
      const [env = null, usedAt, usedIp] = await run(`${space.name}.load`, (client) => client.hmGet(space.key(id), ['env', 'used_at', 'used_ip']));
      return decodeStored(codec, id, env, usedAt, usedIp);
    },
    compareAndSet: async (id, expectedRev, next, ttl, audit): Promise<CasResult> => {
      assertRev(next, expectedRev + 1);
      const bucket = space.keys.bucketOf(id);
      const kept = auditKeptWith(space.keys, bucket, audit);
      const args = [
        ...[String(expectedRev), String(next.rev), codec.encode(id, next), ttlChangeArgument(ttl), space.companionStem?.(bucket) ?? ''],
        ...[space.keys.inState(space.machine, '', bucket), id],
        ...kept.args,
      ];
      const scriptKeys = [space.key(id), space.keys.statesOf(space.machine, bucket), ...kept.keys];
      const reply = await run.write(`${space.name}.compareAndSet`, (client) => client.recordCompareAndSet(scriptKeys, args));
      return reply.ok ? reply : { ok: false, current: decodeStored(codec, id, reply.current, reply.usedAt, reply.usedIp) };
    },
  };
}

export function redisActorRecords(run: Run, space: RecordSpace, codec: EnvelopeCodec): ActorRecords {
  return {
    ...redisEnvelopeAccess(run, space, codec),
    create: async (id, envelope, ttlMs, audit) => {
      assertRev(envelope, 1);
      const bucket = space.keys.bucketOf(id);
      const kept = auditKeptWith(space.keys, bucket, audit);
      const args = [String(envelope.rev), codec.encode(id, envelope), createTtlArgument(ttlMs), space.keys.inState(space.machine, '', bucket), id, ...kept.args];
      const scriptKeys = [space.key(id), space.keys.statesOf(space.machine, bucket), ...kept.keys];
      return (await run.write(`${space.name}.create`, (client) => client.recordCreate(scriptKeys, args))) === 1;
    },
    delete: async (id) => {
      const bucket = space.keys.bucketOf(id);
      const args = [space.keys.inState(space.machine, '', bucket), id];
      await run.write(`${space.name}.delete`, (client) => client.recordDelete([space.key(id), space.keys.statesOf(space.machine, bucket)], args));
    },
  };
}


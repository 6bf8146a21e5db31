/** Login flows: envelope records (actor-records.ts), opened within their client's limit (scripts/flow-scripts.ts). */
import { assertRev, type EnvelopeCodec } from '../envelope-codec.js';
import type { FlowStore } from '../types.js';
import { redisActorRecords } from './actor-records.js';
import { createTtlArgument } from './codec.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

export function redisFlows(run: Run, keys: RedisKeys, codec: EnvelopeCodec): FlowStore {
  return {
    ...redisActorRecords(run, { name: 'flows', keys, key: keys.flow, machine: 'loginFlow' }, codec),
    openFor: async (id, envelope, ttlMs, client) => {
      assertRev(envelope, 1);
      // The flow joins its client's open flows in one script: on a cluster, in one bucket (the
      // service mints the id there, Store.placement).
      const bucket = keys.bucketOf(id);
      if (keys.bucketOf(client.key) !== bucket) throw new RangeError(`flow ${id} is not placed with its client's flows (Store.placement)`);
      const flowStem = keys.flow(id).slice(0, -id.length);
      const args = [String(envelope.rev), codec.encode(id, envelope), createTtlArgument(ttlMs), id, String(client.limit), flowStem, keys.inState('loginFlow', '', bucket)];
      return run('flows.openFor', (redis) => redis.flowOpen([keys.flow(id), keys.flowsOf(client.key), keys.statesOf('loginFlow', bucket)], args));
    },
  };
}

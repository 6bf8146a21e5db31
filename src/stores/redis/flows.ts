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
      const args = [String(envelope.rev), codec.encode(id, envelope), createTtlArgument(ttlMs), id, String(client.limit), keys.flow(''), keys.inState('loginFlow', '')];
      return run('flows.openFor', (redis) => redis.flowOpen([keys.flow(id), keys.flowsOf(client.key), keys.statesOf('loginFlow')], args));
    },
  };
}

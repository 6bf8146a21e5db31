/**
 * What one audit append costs (src/stores/redis/audit.ts: one script per written transition, not
 * awaited by the request): CPU of the process that appends and of redis-server, per append, with
 * the latest real entry appended again `count` times, `parallel` at a time (a loaded service has
 * many in flight). Set against a refresh grant's own CPU, it is the trail's share of the hot path.
 */
import type { Store } from '../src/stores/types.js';
import { cpuMicros } from './process-stats.js';

export interface AuditCost {
  clientCpuUs: number;
  redisCpuUs: number;
}

export async function measureAuditAppend(store: Store, redisPid: number, count = 20_000, parallel = 50): Promise<AuditCost> {
  const [entry] = await store.audit.tail(1);
  if (entry === undefined) throw new Error('no audit entry to append again');
  const clientBefore = process.cpuUsage();
  const redisBefore = cpuMicros(redisPid);
  for (let done = 0; done < count; done += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - done) }, () => store.audit.append(entry)));
  }
  const client = process.cpuUsage(clientBefore);
  return { clientCpuUs: (client.user + client.system) / count, redisCpuUs: (cpuMicros(redisPid) - redisBefore) / count };
}

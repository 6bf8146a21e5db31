/**
 * `hass_auth_records{machine, state}`: the live records of each persisted machine in each state,
 * across every instance (they share the store), read when Prometheus scrapes. The counts come from
 * services/inspection/record-counts.ts, which counts at most every few seconds whoever asks (a count
 * reads the per-state counts the writes keep, not the records). Every instance reports the same
 * numbers: take `max` over instances, not `sum`.
 * When the store does not answer, the series are left out of that scrape (`hass_auth_store_errors_total`
 * says why) rather than repeated stale.
 */
import { Gauge } from 'prom-client';
import type { RecordCountService } from '../services/inspection/record-counts.js';
import type { Metrics } from './metrics.js';

export function countRecords(metrics: Metrics, counts: Pick<RecordCountService, 'current'>): void {
  new Gauge({
    name: 'hass_auth_records',
    help: 'Live records of each persisted machine (loginGrant, refreshToken, loginFlow, mfaSetupFlow) by state, across all instances.',
    labelNames: ['machine', 'state'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      let current;
      try {
        current = (await counts.current()).live;
      } catch {
        return;
      }
      for (const [machine, states] of Object.entries(current)) {
        for (const [state, count] of Object.entries(states)) this.set({ machine, state }, count);
      }
    },
  });
}

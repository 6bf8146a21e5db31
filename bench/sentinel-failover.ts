/**
 * The master of a Sentinel topology killed under a steady refresh load (issue 14): one service
 * process on a master, two replicas and three sentinels (test/support/sentinel-topology.ts), 16
 * clients refreshing in a loop; the master is killed (SIGKILL) and the bench times the sentinels'
 * promotion, the first 200 answered after the kill, and what the clients got meanwhile.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startService } from '../test/support/service-process.js';
import { startSentinelTopology } from '../test/support/sentinel-topology.js';
import { exchangeCode, onboardOwner, refreshBody, trustedLogins } from './seeding.js';

const CLIENTS = 16;
const TOKENS = 64;
const FIRST_OK_TIMEOUT_MS = 30_000;

export interface Failover {
  minReplicasAck: number;
  /** From the kill until the sentinels name the promoted replica. */
  promotionMs: number;
  /** From the kill until the first 200 to a request sent after it. */
  firstOkMs: number;
  /** Answers to requests sent after the kill, until that first 200, by status (0: no answer). */
  meanwhile: Record<string, number>;
  /** The slowest of those answers. */
  slowestMs: number;
}

interface Answer {
  sentAt: number;
  doneAt: number;
  status: number;
}

export async function measureFailover(configFile: string, minReplicasAck: number): Promise<Failover> {
  const topology = await startSentinelTopology();
  try {
    const env = { ...topology.env, REDIS_MIN_REPLICAS_ACK: String(minReplicasAck), REDIS_KEY_PREFIX: 'bench:', CONFIG_FILE: configFile, LOG_LEVEL: 'warn' };
    const service = await startService(env);
    try {
      await exchangeCode(service.baseUrl, await onboardOwner(service.baseUrl));
      const bodies = (await trustedLogins(service.baseUrl, TOKENS)).map((tokens) => refreshBody(tokens.refreshToken));
      const answers: Answer[] = [];
      let running = true;
      const refresh = async (body: string) => {
        const sentAt = performance.now();
        const init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, signal: AbortSignal.timeout(5_000) };
        const status = await fetch(`${service.baseUrl}/auth/token`, init).then(
          async (response) => (await response.arrayBuffer(), response.status),
          () => 0,
        );
        answers.push({ sentAt, doneAt: performance.now(), status });
      };
      const clients = Array.from({ length: CLIENTS }, async (_, client) => {
        for (let n = client; running; n += CLIENTS) await refresh(bodies[n % bodies.length] as string);
      });
      await sleep(1_000);
      const oldPort = await topology.killMaster();
      const killedAt = performance.now();
      await topology.promoted(oldPort);
      const promotedAt = performance.now();
      const firstOk = async () => {
        for (let waited = 0; waited < FIRST_OK_TIMEOUT_MS; waited += 10) {
          const ok = answers.find((answer) => answer.sentAt >= killedAt && answer.status === 200);
          if (ok !== undefined) return ok;
          await sleep(10);
        }
        throw new Error(`no 200 within ${FIRST_OK_TIMEOUT_MS} ms of the kill`);
      };
      const ok = await firstOk();
      running = false;
      await Promise.all(clients);
      const meanwhile: Record<string, number> = {};
      const before = answers.filter((answer) => answer.sentAt >= killedAt && answer.doneAt < ok.doneAt);
      for (const { status } of before) meanwhile[status] = (meanwhile[status] ?? 0) + 1;
      return {
        minReplicasAck,
        promotionMs: promotedAt - killedAt,
        firstOkMs: ok.doneAt - killedAt,
        meanwhile,
        slowestMs: Math.max(0, ...before.map((answer) => answer.doneAt - answer.sentAt)),
      };
    } finally {
      await service.stop();
    }
  } finally {
    await topology.close();
  }
}

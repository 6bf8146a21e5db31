/**
 * Acknowledged writes on asynchronously replicated Redis (`REDIS_MIN_REPLICAS_ACK`). A master
 * answers a write once it applied it and replicates it afterwards, so a master that dies just after
 * answering takes the write with it when the sentinels promote a replica (Redis' documentation,
 * "Replication": "Redis uses by default asynchronous replication … acknowledged writes can be
 * lost"). `WAIT n timeout` after the write blocks this connection until n replicas acknowledged
 * everything it wrote before, or until the timeout: a write is answered only once it is on n
 * replicas, and a write that is not, in time, fails with StoreUnavailableError (503), never a 200.
 * The write itself stays on the master (WAIT rolls nothing back), as after any 503 that came late.
 *
 * WAIT holds the connection, and every operation queued behind it, for its whole timeout when the
 * replicas are gone; so once one WAIT came back short, writes are refused before they are sent
 * until `ROLE` (which does not block) shows enough replicas attached again.
 */
import { StoreUnavailableError } from '../types.js';
import type { ServerCommands } from './connection.js';

type Operation = <T>(operation: string, command: (client: ServerCommands) => Promise<T>) => Promise<T>;

/** The least time between two `ROLE` checks while writes are refused. */
export const REPLICA_CHECK_INTERVAL_MS = 250;

export interface ReplicaAckOptions {
  minReplicas: number;
  /** WAIT's timeout. */
  timeoutMs: number;
}

/** `write` for Run (guard.ts); null when no acknowledgement is required. */
export function replicaAcks(read: Operation, { minReplicas, timeoutMs }: ReplicaAckOptions): Operation | null {
  if (minReplicas <= 0) return null;
  let refusing = false;
  let lastCheckAt = -Infinity;
  const checkReplicas = () => {
    if (performance.now() - lastCheckAt < REPLICA_CHECK_INTERVAL_MS) return;
    lastCheckAt = performance.now();
    read('replicas.role', (client) => client.role()).then(
      (role) => {
        if (role?.role === 'master' && (role.replicas?.length ?? 0) >= minReplicas) refusing = false;
      },
      () => undefined,
    );
  };
  return async (operation, command) => {
    if (refusing) {
      checkReplicas();
      throw new StoreUnavailableError(`Redis: fewer than ${minReplicas} replica(s) acknowledge writes; ${operation} refused`);
    }
    return read(operation, async (client) => {
      const result = await command(client);
      const acknowledged = await client.wait(minReplicas, timeoutMs);
      if (acknowledged < minReplicas) {
        refusing = true;
        throw new StoreUnavailableError(`Redis: ${operation} was acknowledged by ${acknowledged} of ${minReplicas} replica(s) within ${timeoutMs} ms`);
      }
      return result;
    });
  };
}

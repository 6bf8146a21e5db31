/**
 * The secret of a rotated token's successor (issue 17), derived from the secret presented for the
 * rotation: HMAC-SHA-512 under a deployment-wide key kept in the store's secrets, as 128 hex
 * characters like every refresh-token secret (ids.ts `newSecret`). Whoever presents the redeemed
 * token again within its grace window gets the same successor without anything secret being stored:
 * the store keeps only the successor's hash, and only a holder of the presented secret and the key
 * can compute it. The key is never the successor's secret itself, nor derivable from any stored hash.
 */
import { createHmac } from 'node:crypto';

/** The name of the key under the store's secrets (SecretStore.getOrCreate). */
export const ROTATION_KEY_NAME = 'refresh-token-rotation';

/**
 * `attempt` 0 is the successor; the next attempts derive others, as deterministically, for a store
 * that needs the successor's hash in the presented token's place (Store.placement, a Redis Cluster):
 * the first attempt that lands there is the successor, every time it is derived again.
 */
export function successorSecret(rotationKey: string, presentedSecret: string, attempt = 0): string {
  const hmac = createHmac('sha512', rotationKey).update(presentedSecret);
  if (attempt > 0) hmac.update(`:${attempt}`);
  return hmac.digest('hex');
}

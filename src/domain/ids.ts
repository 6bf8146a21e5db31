/**
 * Identifiers and secrets in Home Assistant's formats (homeassistant/auth/models.py): ids and codes
 * are `uuid4().hex` (32 hex chars); refresh-token secrets and `jwt_key`s are `secrets.token_hex(64)`
 * (128 hex chars, 512 bits). Secrets are stored only as their SHA-256 (ARCHITECTURE.md, "Stores").
 */
import { hash, randomFillSync, randomUUID } from 'node:crypto';

/**
 * Random bytes are drawn from a pool filled from the CSPRNG 4 KiB at a time, each byte handed out
 * once: a call into OpenSSL costs about 1.6 µs in a tight loop and ten times that in a busy process,
 * where a rotation drew twice per grant (its `jwt_key` and its sealing nonce), 17 % of its CPU
 * (bench/RESULTS.md). Node's `randomUUID` keeps such a pool for the same reason, as nanoid does.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

function draw(bytes: number): number {
  if (bytes > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} random bytes at once`);
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const at = used;
  used += bytes;
  return at;
}

/** `bytes` random bytes of their own (a copy: the pool's bytes are never handed out twice). */
export function randomBytesFromPool(bytes: number): Buffer {
  const at = draw(bytes);
  return Buffer.from(pool.subarray(at, at + bytes));
}

export function newId(): string {
  return randomUUID().replaceAll('-', '');
}

export function newSecret(): string {
  const at = draw(64);
  return pool.toString('hex', at, at + 64);
}

/** One-shot `crypto.hash` (Node 20.12): no Hash object made and collected per call, about half the time. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/**
 * Identifiers and secrets in Home Assistant's formats (homeassistant/auth/models.py): ids and codes
 * are `uuid4().hex` (32 hex chars); refresh-token secrets and `jwt_key`s are `secrets.token_hex(64)`
 * (128 hex chars, 512 bits). Secrets are stored only as their SHA-256 (ARCHITECTURE.md, "Stores").
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export function newId(): string {
  return randomUUID().replaceAll('-', '');
}

export function newSecret(): string {
  return randomBytes(64).toString('hex');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

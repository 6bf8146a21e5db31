/**
 * Where the sealing keys (sealer.ts) come from, and what is wrong with them in words an operator acts
 * on. Keys are written as 64 hex characters (32 bytes, `openssl rand -hex 32`), several separated by
 * commas: the first seals, all open. The same text is read from `SECRETS_KEY`, from the file
 * `SECRETS_KEY_FILE` names (a Docker or Kubernetes secret), or from the embedded store's own key file.
 *
 * The embedded store's key file (`secrets.key` in DATA_DIR) is made at the first start: written under
 * a temporary name with mode 0600, synced, then linked to its name, which fails if the name exists, so
 * a crash never leaves a partial key and two starts never make two keys. It is refused when anyone
 * but its owner may read it. Losing it loses every sealed secret (sessions end, TOTP is set up
 * again): back it up apart from the database, which is the point of keeping it apart.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createSealer, type Sealer } from './sealer.js';

export const KEY_FILE = 'secrets.key';
const KEY_PATTERN = /^[0-9a-fA-F]{64}$/;

/** The keys cannot be had, or do not fit the store: the operator fixes it from the message. */
export class SealingKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealingKeyError';
  }
}

/** The keys in `text` (`hex,hex,…`); `source` names where it came from. The message never repeats a key. */
export function parseSecretsKeys(text: string, source: string): Buffer[] {
  const entries = text.trim().split(',').map((entry) => entry.trim());
  return entries.map((entry, index) => {
    if (KEY_PATTERN.test(entry)) return Buffer.from(entry, 'hex');
    const which = entries.length === 1 ? 'it has' : `key ${index + 1} has`;
    throw new SealingKeyError(
      `${source} must be 64 hex characters (32 bytes, e.g. from \`openssl rand -hex 32\`), or several separated by commas; ${which} ${entry.length} characters${entry.length === 64 ? ' that are not all hex' : ''}`,
    );
  });
}

/** The keys in the file at `path` (SECRETS_KEY_FILE). */
export function readSecretsKeyFile(path: string, source: string): Buffer[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SealingKeyError(`${source}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parseSecretsKeys(text, `${source} (${path})`);
}

function readOwnKeyFile(path: string): Buffer[] {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new SealingKeyError(`${path} may be read by others (mode ${mode.toString(8).padStart(4, '0')}); run \`chmod 600 ${path}\``);
  }
  return parseSecretsKeys(readFileSync(path, 'utf8'), path);
}

function writeNewKeyFile(dir: string, path: string): void {
  const temporary = join(dir, `.${KEY_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
  } catch (error) {
    // Another start made it first: theirs is the key.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

const exists = (path: string) => {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
};

/**
 * The sealer of the embedded store in `dataDir`, from its key file, made when absent unless
 * `mustExist` (the store holds secrets sealed with the key it held: a new key would open none).
 */
export function keyFileSealer(dataDir: string, options: { mustExist: boolean }): Sealer {
  const dir = resolve(dataDir);
  const path = join(dir, KEY_FILE);
  if (!exists(path)) {
    if (options.mustExist) {
      throw new SealingKeyError(`${path} is missing, and the store's secrets are sealed with the key it held: restore it (or give that key in SECRETS_KEY)`);
    }
    mkdirSync(dir, { recursive: true });
    writeNewKeyFile(dir, path);
  }
  return createSealer(readOwnKeyFile(path), path);
}

import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_FILE, keyFileSealer, parseSecretsKeys, readSecretsKeyFile, SealingKeyError } from '../../../src/stores/sealing/secrets-keys.js';
import { keyIdOf } from '../../../src/stores/sealing/sealer.js';
import { makeTempDir } from '../sqlite-harness.js';

const hex = () => randomBytes(32).toString('hex');
const temps: Array<{ remove(): void }> = [];
const tempDir = () => {
  const temp = makeTempDir();
  temps.push(temp);
  return temp.dir;
};
afterEach(() => temps.splice(0).forEach((temp) => temp.remove()));

describe('secrets keys: the text', () => {
  it('reads one key, or several separated by commas (spaces and a final newline allowed), in order', () => {
    const [a, b] = [hex(), hex()];
    expect(parseSecretsKeys(a, 'SECRETS_KEY').map((key) => key.toString('hex'))).toEqual([a]);
    expect(parseSecretsKeys(` ${a.toUpperCase()} , ${b}\n`, 'SECRETS_KEY').map((key) => key.toString('hex'))).toEqual([a, b]);
  });

  it.each([
    ['', 'SECRETS_KEY must be 64 hex characters (32 bytes, e.g. from `openssl rand -hex 32`), or several separated by commas; it has 0 characters'],
    ['abc', 'it has 3 characters'],
    [`${'g'.repeat(64)}`, 'it has 64 characters that are not all hex'],
    [`${'a'.repeat(64)},${'b'.repeat(63)}`, 'key 2 has 63 characters'],
  ])('refuses %j naming the variable, and repeats no key', (text, message) => {
    expect(() => parseSecretsKeys(text, 'SECRETS_KEY')).toThrow(SealingKeyError);
    expect(() => parseSecretsKeys(text, 'SECRETS_KEY')).toThrow(message);
    try {
      parseSecretsKeys(text, 'SECRETS_KEY');
    } catch (error) {
      if (text.length > 0) expect((error as Error).message).not.toContain(text.split(',').at(-1));
    }
  });

  it('reads SECRETS_KEY_FILE, and names the file it cannot read', () => {
    const dir = tempDir();
    const key = hex();
    writeFileSync(join(dir, 'key'), `${key}\n`);
    expect(readSecretsKeyFile(join(dir, 'key'), 'SECRETS_KEY_FILE')[0]?.toString('hex')).toBe(key);
    expect(() => readSecretsKeyFile(join(dir, 'missing'), 'SECRETS_KEY_FILE')).toThrow(`SECRETS_KEY_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`);
    writeFileSync(join(dir, 'short'), 'abcd');
    expect(() => readSecretsKeyFile(join(dir, 'short'), 'SECRETS_KEY_FILE')).toThrow(`SECRETS_KEY_FILE (${join(dir, 'short')}) must be 64 hex characters`);
  });
});

describe("secrets keys: the embedded store's key file", () => {
  it('is made at the first start, readable by its owner only, holding one key and nothing else in the directory', () => {
    const dir = join(tempDir(), 'data');
    const sealer = keyFileSealer(dir, { mustExist: false });
    const path = join(dir, KEY_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^[0-9a-f]{64}\n$/);
    expect(sealer.keyIds).toEqual([keyIdOf(Buffer.from(text.trim(), 'hex'))]);
    expect(sealer.source).toBe(path);
    // The temporary name it was written under is gone.
    expect(readdirSync(dir)).toEqual([KEY_FILE]);
  });

  it('is read again at the next start, the same key', () => {
    const dir = tempDir();
    const first = keyFileSealer(dir, { mustExist: false });
    const second = keyFileSealer(dir, { mustExist: true });
    expect(second.keyIds).toEqual(first.keyIds);
    expect(second.open(first.seal('secret', 'place'), 'place')).toBe('secret');
  });

  it('may hold a new key before the old one, to rotate', () => {
    const dir = tempDir();
    const old = keyFileSealer(dir, { mustExist: false });
    const key = hex();
    writeFileSync(join(dir, KEY_FILE), `${key},${readFileSync(join(dir, KEY_FILE), 'utf8').trim()}\n`);
    const rotating = keyFileSealer(dir, { mustExist: true });
    expect(rotating.keyIds).toEqual([keyIdOf(Buffer.from(key, 'hex')), ...old.keyIds]);
  });

  it('is refused when others may read it, with the command that fixes it', () => {
    const dir = tempDir();
    keyFileSealer(dir, { mustExist: false });
    const path = join(dir, KEY_FILE);
    chmodSync(path, 0o644);
    expect(() => keyFileSealer(dir, { mustExist: true })).toThrow(`${path} may be read by others (mode 0644); run \`chmod 600 ${path}\``);
    chmodSync(path, 0o640);
    expect(() => keyFileSealer(dir, { mustExist: true })).toThrow(SealingKeyError);
  });

  it('is refused when it does not hold a key', () => {
    const dir = tempDir();
    const path = join(dir, KEY_FILE);
    writeFileSync(path, 'abc\n', { mode: 0o600 });
    expect(() => keyFileSealer(dir, { mustExist: false })).toThrow(`${path} must be 64 hex characters`);
  });

  it('is not made again when the store holds secrets sealed with the lost one', () => {
    const dir = tempDir();
    expect(() => keyFileSealer(dir, { mustExist: true })).toThrow(`${join(dir, KEY_FILE)} is missing, and the store's secrets are sealed with the key it held`);
    expect(readdirSync(dir)).toEqual([]);
  });
});

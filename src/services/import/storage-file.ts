/**
 * One file of Home Assistant's `.storage/` directory (homeassistant/helpers/storage.py, ha-auth-spec
 * §17): `{"version": V, "minor_version": M, "key": K, "data": …}`.
 *
 * Versions: `auth`, `auth_provider.homeassistant` and `auth_module.totp` have been written at version 1
 * since they exist, and at minor version 1 since the storage helper has minor versions; a file written
 * before that has no `minor_version`, which Home Assistant reads as 1. So 1.1 is every version Home
 * Assistant migrates these files from, and the only one read here: anything else comes from a
 * release this import does not know, and stops it rather than being read as something it is not.
 * `onboarding` is at version 4 (homeassistant/components/onboarding/__init__.py); its migrations
 * from 1, 2 and 3 only append the steps added since, so `done` means the same in all four.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FieldReader, isObject, shown } from './input-problems.js';

export type StorageKey = 'auth' | 'auth_provider.homeassistant' | 'auth_module.totp' | 'onboarding';

/** The major versions read per file; the minor version is 1 for all. */
const READABLE_VERSIONS: Record<StorageKey, readonly number[]> = {
  auth: [1],
  'auth_provider.homeassistant': [1],
  'auth_module.totp': [1],
  onboarding: [1, 2, 3, 4],
};
export const READABLE_MINOR_VERSION = 1;

export interface StorageFile {
  key: StorageKey;
  /** `.storage/<key>`, as problems name it. */
  file: string;
  /** False when there is no such file. */
  present: boolean;
  /** Its `data`; read it only when `reader.problems` is empty. */
  data: unknown;
  /** `1.1` as the report shows it (`1` for a file without a minor version); null when absent. */
  version: string | null;
  reader: FieldReader;
}

export const storagePath = (key: StorageKey) => `.storage/${key}`;

function readText(configDir: string, storageFile: StorageFile): string | null {
  try {
    return readFileSync(join(configDir, storageFile.file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    storageFile.present = true;
    storageFile.reader.problem(null, `cannot be read (${code ?? String(error)})`);
    return null;
  }
}

function parseJson(text: string, reader: FieldReader): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const hint = text.trim() === '' ? 'the file is empty' : 'is the file truncated?';
    reader.problem(null, `is not valid JSON (${(error as Error).message}); ${hint}`);
    return undefined;
  }
}

function checkWrapper(key: StorageKey, stored: unknown, storageFile: StorageFile): void {
  const { reader } = storageFile;
  if (!isObject(stored)) {
    reader.problem(null, `expected Home Assistant's storage object {"version", "key", "data"}, found ${shown(stored)}`);
    return;
  }
  const { version, minor_version: minorVersion = READABLE_MINOR_VERSION, key: storedKey, data } = stored;
  const versions = READABLE_VERSIONS[key];
  const majors = versions.length === 1 ? `version ${versions.join('')}` : `versions ${versions[0]} to ${versions.at(-1)}`;
  const readable = `this import reads ${majors}, minor version ${READABLE_MINOR_VERSION} (every release of Home Assistant so far)`;
  if (typeof version !== 'number' || !versions.includes(version)) reader.problem('version', `unknown storage version ${shown(version)}; ${readable}`);
  else if (minorVersion !== READABLE_MINOR_VERSION) reader.problem('minor_version', `unknown storage minor version ${shown(minorVersion)}; ${readable}`);
  if (storedKey !== key) reader.problem('key', `expected "${key}", found ${shown(storedKey)}: is this the right file?`);
  if (data === undefined) reader.problem('data', 'missing');
  storageFile.data = data;
  storageFile.version = 'minor_version' in stored ? `${shown(version)}.${shown(minorVersion)}` : shown(version);
}

/** Reads and unwraps `.storage/<key>`; an absent file is no problem here (the caller decides). */
export function readStorageFile(configDir: string, key: StorageKey): StorageFile {
  const file = storagePath(key);
  const storageFile: StorageFile = { key, file, present: false, data: undefined, version: null, reader: new FieldReader(file) };
  const text = readText(configDir, storageFile);
  if (text === null) return storageFile;
  storageFile.present = true;
  const stored = parseJson(text, storageFile.reader);
  if (storageFile.reader.problems.length === 0) checkWrapper(key, stored, storageFile);
  return storageFile;
}

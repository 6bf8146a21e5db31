/**
 * What a copy of a store holds, read around the service (issue 18, "secrets at rest"): every value
 * of an SQLite file (every column of every row of every table) or of a Redis deployment (every key
 * under its prefix, and what it holds by type), as text; and the strings inside them that could be
 * a key. The SQLite store must be closed (it holds its file exclusively); read Redis at rest.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../src/stores/sqlite/open-database.js';
import { keysUnder, rawClient } from '../stores/redis-harness.js';

function withDatabase<T>(dataDir: string, use: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, DATABASE_FILE));
  try {
    return use(db);
  } finally {
    db.close();
  }
}

const tablesOf = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map(({ name }) => name);

export function sqliteStoredValues(dataDir: string): string[] {
  return withDatabase(dataDir, (db) =>
    tablesOf(db).flatMap((table) =>
      (db.prepare(`SELECT * FROM "${table}"`).all() as Array<Record<string, unknown>>).flatMap((row) =>
        Object.values(row).flatMap((value) => (value === null ? [] : [Buffer.isBuffer(value) ? value.toString('latin1') : String(value as string | number | bigint)])),
      ),
    ),
  );
}

/** Replaces `from` with `to` in every text column of every row. */
export function sqliteReplaceStored(dataDir: string, from: string, to: string): void {
  withDatabase(dataDir, (db) => {
    for (const table of tablesOf(db)) {
      const columns = (db.prepare("SELECT name FROM pragma_table_info(?) WHERE type = 'TEXT'").all(table) as Array<{ name: string }>).map(({ name }) => name);
      for (const column of columns) db.prepare(`UPDATE "${table}" SET "${column}" = replace("${column}", ?, ?)`).run(from, to);
    }
  });
}

async function withClient<T>(use: (client: Awaited<ReturnType<typeof rawClient>>) => Promise<T>): Promise<T> {
  const client = await rawClient();
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

export function redisStoredValues(prefix: string): Promise<string[]> {
  return withClient(async (client) => {
    const values: string[] = [];
    for (const key of await keysUnder(client, prefix)) {
      values.push(key);
      const type = await client.type(key);
      if (type === 'string') values.push((await client.get(key)) ?? '');
      else if (type === 'hash') values.push(...Object.entries(await client.hGetAll(key)).flat());
      else if (type === 'list') values.push(...(await client.lRange(key, 0, -1)));
      else if (type === 'set') values.push(...(await client.sMembers(key)));
      else if (type === 'zset') values.push(...(await client.zRange(key, 0, -1)));
      else if (type === 'stream') values.push(...((await client.xRange(key, '-', '+')) ?? []).flatMap((entry) => Object.entries(entry.message).flat()));
      else throw new Error(`a ${type} at ${key}: read it too`);
    }
    return values;
  });
}

/** Replaces `from` with `to` in every string and hash value under the prefix. */
export function redisReplaceStored(prefix: string, from: string, to: string): Promise<void> {
  return withClient(async (client) => {
    for (const key of await keysUnder(client, prefix)) {
      const type = await client.type(key);
      if (type === 'string') {
        const value = (await client.get(key)) ?? '';
        if (value.includes(from)) await client.set(key, value.replaceAll(from, to), { KEEPTTL: true });
      } else if (type === 'hash') {
        for (const [field, value] of Object.entries(await client.hGetAll(key))) {
          if (value.includes(from)) await client.hSet(key, field, value.replaceAll(from, to));
        }
      }
    }
  });
}

/** Every string the values hold: each value, the strings inside it when it is JSON, and its runs of hex and of base32. */
export function candidateKeys(values: string[]): string[] {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (typeof node === 'string') found.add(node);
    else if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) {
        found.add(key);
        walk(child);
      }
    }
  };
  for (const value of values) {
    found.add(value);
    try {
      walk(JSON.parse(value));
    } catch {
      // Not JSON: the value itself and its runs below.
    }
    for (const run of value.match(/[0-9a-fA-F]{32,}|[A-Z2-7]{16,}/g) ?? []) found.add(run);
  }
  return [...found];
}

/** Whether `key`, taken as Home Assistant takes a jwt_key (its text as bytes), signs the HS256 `jwt`. */
export function verifiesHs256(jwt: string, key: string): boolean {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

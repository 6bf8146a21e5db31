/**
 * Group commit on the embedded store (src/stores/sqlite/group-commit.ts): refresh-grant-like store
 * traffic on a SQLite file in a temp directory, CALLERS at once, each with a refresh token of its
 * own, each refresh the store calls of a refresh grant (token by hash, user with credential,
 * compare-and-set, audit append). Prints refreshes per second.
 *
 *   npx tsx bench/group-commit.ts                       # this checkout
 *   npx tsx bench/group-commit.ts /path/to/checkout     # and that one's store, interleaved: the ratio
 *
 * A checkout given runs its own `src/` with this one's node_modules, so an older commit (`git archive
 * <commit> src machines | tar -x -C /path`, then symlink node_modules) gives a before/after in one
 * run. Rounds alternate which store goes first, and the median is kept (the machine is shared).
 *
 * Then what a unit's savepoint costs: one transaction of single-row inserts, bare and each in a
 * SAVEPOINT … RELEASE, in memory (no fsync to hide behind, so the worst ratio).
 */
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Envelope, Store } from '../src/stores/types.js';
import type { SqliteStoreOptions } from '../src/stores/sqlite/sqlite-store.js';
import { makeTempDir } from '../test/stores/sqlite-harness.js';

const CALLERS = Number(process.env.BENCH_CALLERS ?? 50);
const REFRESHES = Number(process.env.BENCH_REFRESHES ?? 3000);
const ROUNDS = 5;
const SAVEPOINT_UNITS = 200_000;

type OpenStore = (options: SqliteStoreOptions) => Store;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const tokenEnvelope = (rev: number): Envelope => ({
  machine: 'refreshToken',
  v: 1,
  rev,
  snapshot: { value: 'issued', context: { userId: 'u', lastUsedAt: rev }, status: 'active' },
});

/** One caller: its token refreshed `count` times, one after the other, as one connection would. */
async function refreshLoop(store: Store, caller: number, count: number): Promise<void> {
  const keys = { id: `t${caller}`, tokenHash: `h${caller}`, userId: 'u' };
  for (let i = 0; i < count; i++) {
    const found = await store.refreshTokens.loadByTokenHash(keys.tokenHash);
    if (found === null) throw new Error(`token ${keys.id} is gone`);
    // The user and the credential, as the refresh grant's reads before issue 16 (both checkouts have these).
    await Promise.all([store.users.getUser('u'), store.users.getCredential('c')]);
    const rev = found.envelope.rev;
    const written = await store.refreshTokens.compareAndSet(found.id, rev, tokenEnvelope(rev + 1));
    if (!written.ok) throw new Error(`token ${keys.id}: compare-and-set lost with one writer`);
    const entry = { at: Date.now(), machine: 'refreshToken', recordId: found.id, event: 'refresh', from: 'issued', to: 'issued' } as const;
    await store.audit.append({ ...entry, userId: 'u', clientId: null, ip: null, detail: null });
  }
}

async function seeded(open: OpenStore): Promise<{ store: Store; remove: () => Promise<void> }> {
  const temp = makeTempDir();
  const store = open({ dataDir: temp.dir });
  const user = { id: 'u', name: 'bench', isOwner: false, isActive: true, systemGenerated: false, localOnly: false, groupIds: [], createdAt: 0 };
  await store.users.createUser(user);
  await store.users.addCredential({ id: 'c', userId: 'u', authProviderType: 'homeassistant', authProviderId: null, data: {}, lookupKey: 'bench' });
  await Promise.all(Array.from({ length: CALLERS }, (_, caller) => store.refreshTokens.create({ id: `t${caller}`, tokenHash: `h${caller}`, userId: 'u' }, tokenEnvelope(1))));
  return {
    store,
    remove: async () => {
      await store.close();
      temp.remove();
    },
  };
}

async function refreshesPerSecond(open: OpenStore): Promise<number> {
  const { store, remove } = await seeded(open);
  try {
    const perCaller = Math.ceil(REFRESHES / CALLERS);
    const started = performance.now();
    await Promise.all(Array.from({ length: CALLERS }, (_, caller) => refreshLoop(store, caller, perCaller)));
    return (perCaller * CALLERS) / ((performance.now() - started) / 1000);
  } finally {
    await remove();
  }
}

async function storeOf(checkout: string): Promise<OpenStore> {
  const module = (await import(resolve(checkout, 'src/stores/sqlite/sqlite-store.ts'))) as { openSqliteStore: OpenStore };
  return module.openSqliteStore;
}

function savepointCostUs(): { bareUs: number; savepointUs: number } {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const insert = db.prepare<[string]>('INSERT INTO t (v) VALUES (?)');
  const [savepoint, release] = [db.prepare('SAVEPOINT unit'), db.prepare('RELEASE unit')];
  const timed = (each: () => void) => {
    const started = performance.now();
    db.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < SAVEPOINT_UNITS; i++) each();
    db.exec('COMMIT');
    return ((performance.now() - started) * 1000) / SAVEPOINT_UNITS;
  };
  const bare = () => insert.run('x');
  const wrapped = () => {
    savepoint.run();
    insert.run('x');
    release.run();
  };
  const rounds = { bare: [] as number[], savepoint: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    rounds.bare.push(timed(bare));
    rounds.savepoint.push(timed(wrapped));
  }
  db.close();
  return { bareUs: median(rounds.bare), savepointUs: median(rounds.savepoint) };
}

const stores: Array<[string, OpenStore]> = [['this checkout', await storeOf(resolve(import.meta.dirname, '..'))]];
const other = process.argv[2];
if (other !== undefined) stores.push([other, await storeOf(other)]);

const rates = new Map<string, number[]>(stores.map(([label]) => [label, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? stores : [...stores].reverse();
  for (const [label, open] of order) rates.get(label)?.push(await refreshesPerSecond(open));
}
const medians = stores.map(([label]) => [label, median(rates.get(label) ?? [])] as const);
for (const [label, rate] of medians) console.log(`${label}: ${rate.toFixed(0)} refreshes/s (${CALLERS} callers, SQLite file)`);
if (medians.length === 2) console.log(`ratio this / ${other}: ${((medians[0]?.[1] ?? 0) / (medians[1]?.[1] ?? 1)).toFixed(2)}`);

const { bareUs, savepointUs } = savepointCostUs();
console.log(`insert in a transaction: ${bareUs.toFixed(2)} µs bare, ${savepointUs.toFixed(2)} µs in a savepoint (+${(savepointUs - bareUs).toFixed(2)} µs per unit)`);

/**
 * Group commit on the embedded store (src/stores/sqlite/group-commit.ts): the writes of one turn of
 * the event loop commit in one transaction, and no promise settles before that commit.
 *
 * Commits are counted where they land: SQLite appends each commit to the WAL as frames, the last of
 * which carries the database size after the commit (https://www.sqlite.org/fileformat2.html#walformat);
 * with `synchronous = FULL` each such commit is one fsync. The counts here come from the file, not
 * from anything the store reports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, openDatabase } from '../../src/stores/sqlite/open-database.js';
import { groupCommit } from '../../src/stores/sqlite/group-commit.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../src/stores/types.js';
import { envelope, newId } from './contract/context.js';
import { makeCredential } from './contract/users.js';
import { fakeClock, makeTempDir } from './sqlite-harness.js';

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;

/** Commits in the WAL since it last started over: frames under the header's salts that end a commit. */
function walCommits(dataDir: string): number {
  const path = join(dataDir, `${DATABASE_FILE}-wal`);
  if (!existsSync(path)) return 0;
  const wal = readFileSync(path);
  if (wal.length < WAL_HEADER_BYTES) return 0;
  const pageSize = wal.readUInt32BE(8);
  const [salt1, salt2] = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  let commits = 0;
  for (let at = WAL_HEADER_BYTES; at + FRAME_HEADER_BYTES + pageSize <= wal.length; at += FRAME_HEADER_BYTES + pageSize) {
    // Frames under other salts are left from before the WAL was last reset.
    if (wal.readUInt32BE(at + 8) !== salt1 || wal.readUInt32BE(at + 12) !== salt2) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits += 1;
  }
  return commits;
}

describe('sqlite store: group commit', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  const openOnFile = (dataDir = newDataDir()) => {
    const store = openSqliteStore({ dataDir, clock: fakeClock().clock });
    cleanups.unshift(() => store.close());
    return { store, dataDir };
  };
  const newDataDir = () => {
    const temp = makeTempDir();
    cleanups.push(async () => temp.remove());
    return temp.dir;
  };
  const tokenKeys = (id: string) => ({ id, userId: 'u', tokenHash: `hash-${id}` });

  it('commits the writes of one turn once, and answers none of them before that commit', async () => {
    const { store, dataDir } = openOnFile();
    const before = walCommits(dataDir);
    const commitsSeen: number[] = [];
    const seen = <T>(promise: Promise<T>) =>
      promise.then((value) => {
        commitsSeen.push(walCommits(dataDir));
        return value;
      });
    const writes = [
      ...Array.from({ length: 20 }, () => seen(store.grants.create(newId(), envelope('loginGrant', 1), 600_000))),
      ...Array.from({ length: 20 }, () => seen(store.refreshTokens.create(tokenKeys(newId()), envelope('refreshToken', 1)))),
      seen(store.audit.append({ at: 1, machine: 'loginGrant', recordId: 'g', event: 'create', from: null, to: 'issued', userId: null, clientId: null, ip: null, detail: null }).then(() => true)),
    ];
    expect(walCommits(dataDir)).toBe(before);
    expect(await Promise.all(writes)).toEqual(writes.map(() => true));
    expect(walCommits(dataDir)).toBe(before + 1);
    expect(commitsSeen).toEqual(writes.map(() => before + 1));
  });

  it('commits the writes of the next turn in a batch of their own', async () => {
    const { store, dataDir } = openOnFile();
    const before = walCommits(dataDir);
    await store.grants.create(newId(), envelope('loginGrant', 1), null);
    await store.grants.create(newId(), envelope('loginGrant', 1), null);
    expect(walCommits(dataDir)).toBe(before + 2);
  });

  it('two compare-and-sets on one revision in one batch: the first wins, the second sees its write', async () => {
    const { store, dataDir } = openOnFile();
    const id = newId();
    await store.refreshTokens.create(tokenKeys(id), envelope('refreshToken', 1));
    const before = walCommits(dataDir);
    const [first, second] = [envelope('refreshToken', 2), envelope('refreshToken', 2)];
    const results = await Promise.all([store.refreshTokens.compareAndSet(id, 1, first), store.refreshTokens.compareAndSet(id, 1, second)]);
    expect(results).toEqual([{ ok: true }, { ok: false, current: first }]);
    expect(walCommits(dataDir)).toBe(before + 1);
    expect(await store.refreshTokens.load(id)).toEqual(first);
  });

  it('a read asked while writes are queued sees them, and is answered after their commit', async () => {
    const { store, dataDir } = openOnFile();
    const id = newId();
    await store.refreshTokens.create(tokenKeys(id), envelope('refreshToken', 1));
    const before = walCommits(dataDir);
    const next = envelope('refreshToken', 2);
    const written = store.refreshTokens.compareAndSet(id, 1, next);
    const read = store.refreshTokens.loadByTokenHash(`hash-${id}`).then((found) => ({ found, commits: walCommits(dataDir) }));
    expect(await written).toEqual({ ok: true });
    expect(await read).toEqual({ found: { id, envelope: next }, commits: before + 1 });
  });

  it('a unit that throws rejects alone: the others of its batch are stored, in one commit', async () => {
    const { store, dataDir } = openOnFile();
    const before = walCommits(dataDir);
    const [kept, badRevision, alsoKept] = [newId(), newId(), newId()];
    const [first, third] = [envelope('loginGrant', 1), envelope('loginGrant', 1)];
    const outcomes = await Promise.allSettled([
      store.grants.create(kept, first, null),
      store.grants.create(badRevision, envelope('loginGrant', 2), null),
      // A credential of a user that does not exist fails its foreign key.
      store.users.addCredential(makeCredential('no-such-user')),
      store.grants.create(alsoKept, third, null),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    const reasons = outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as Error) : undefined));
    expect(reasons[1]).toBeInstanceOf(RangeError);
    expect(reasons[2]).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    expect(walCommits(dataDir)).toBe(before + 1);
    expect([await store.grants.load(kept), await store.grants.load(badRevision), await store.grants.load(alsoKept)]).toEqual([first, null, third]);
  });

  it('a queued unit runs at the time it was asked, not at the time of its batch', async () => {
    const clock = fakeClock();
    const store = openSqliteStore({ dataDir: ':memory:', clock: clock.clock });
    cleanups.push(() => store.close());
    const id = newId();
    const created = store.grants.create(id, envelope('loginGrant', 1), 100);
    await clock.advance(1_000);
    expect(await created).toBe(true);
    // Created at the first moment with 100 ms to live: gone at the second, which a batch's time would have kept.
    expect(await store.grants.load(id)).toBeNull();
  });

  it('close commits what is queued before it lets go of the file', async () => {
    const dataDir = newDataDir();
    const store: Store = openSqliteStore({ dataDir });
    const [grant, token] = [newId(), newId()];
    const writes = Promise.all([store.grants.create(grant, envelope('loginGrant', 1), null), store.refreshTokens.create(tokenKeys(token), envelope('refreshToken', 1))]);
    await store.close();
    expect(await writes).toEqual([true, true]);
    const { store: reopened } = openOnFile(dataDir);
    expect(await reopened.grants.load(grant)).not.toBeNull();
    expect(await reopened.refreshTokens.findIdByTokenHash(`hash-${token}`)).toBe(token);
  });
});

describe('group commit over a connection', () => {
  const opened: Database.Database[] = [];
  const removals: Array<() => void> = [];
  afterEach(() => {
    for (const db of opened.splice(0)) db.close();
    for (const remove of removals.splice(0)) remove();
  });
  const connection = () => {
    const db = new Database(':memory:');
    opened.push(db);
    db.pragma('foreign_keys = ON');
    db.exec(`CREATE TABLE rows (v TEXT NOT NULL);
      CREATE TABLE parents (id TEXT PRIMARY KEY);
      CREATE TABLE children (parent TEXT REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)`);
    const insert = db.prepare<[string]>('INSERT INTO rows (v) VALUES (?)');
    const rows = () => db.prepare<[], { v: string }>('SELECT v FROM rows ORDER BY rowid').all().map((row) => row.v);
    return { db, group: groupCommit(db, () => 0), insert: (v: string) => insert.run(v).changes, rows };
  };

  it('rolls back the statements of a unit that throws, and only those', async () => {
    const { group, insert, rows } = connection();
    const outcomes = await Promise.allSettled([
      group.write(() => insert('a')),
      group.write(() => {
        insert('b');
        throw new Error('half done');
      }),
      group.write(() => insert('c')),
    ]);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: new Error('half done') },
      { status: 'fulfilled', value: 1 },
    ]);
    expect(rows()).toEqual(['a', 'c']);
  });

  it('rolls back a unit whose changes pass the 64 KiB at which a savepoint journal would spill to a file', async () => {
    // The store's own file and settings (open-database.ts), not an in-memory database.
    const temp = makeTempDir();
    const db = openDatabase(temp.dir);
    opened.push(db);
    removals.push(() => temp.remove());
    db.exec('CREATE TABLE rows (v TEXT NOT NULL)');
    const group = groupCommit(db, () => 0);
    const insert = (v: string) => db.prepare<[string]>('INSERT INTO rows (v) VALUES (?)').run(v).changes;
    const rows = () => db.prepare<[], { v: string }>('SELECT substr(v, 1, 1) AS v FROM rows ORDER BY rowid').all().map((row) => row.v);
    const page = 'x'.repeat(4096);
    const outcomes = await Promise.allSettled([
      group.write(() => insert('a')),
      group.write(() => {
        for (let row = 0; row < 40; row += 1) insert(page);
        throw new Error('half done');
      }),
      group.write(() => insert('c')),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(rows()).toEqual(['a', 'c']);
  });

  it('a COMMIT that fails rejects every unit of the batch, and the next batch commits', async () => {
    const { db, group, insert, rows } = connection();
    const orphan = db.prepare("INSERT INTO children (parent) VALUES ('nobody')");
    // The deferred foreign key is checked at COMMIT: each unit succeeds, the commit does not.
    const outcomes = await Promise.allSettled([group.write(() => insert('a')), group.write(() => orphan.run().changes)]);
    const codes = outcomes.map((outcome) => outcome.status === 'rejected' && (outcome.reason as { code?: string }).code);
    expect(codes).toEqual(['SQLITE_CONSTRAINT_FOREIGNKEY', 'SQLITE_CONSTRAINT_FOREIGNKEY']);
    expect(db.inTransaction).toBe(false);
    expect(rows()).toEqual([]);
    expect(await group.write(() => insert('b'))).toBe(1);
    expect(rows()).toEqual(['b']);
  });

  it('a batch whose transaction SQLite rolled back rejects every unit, the earlier ones too', async () => {
    const { db, group, insert, rows } = connection();
    const outcomes = await Promise.allSettled([
      group.write(() => insert('a')),
      // What SQLite does itself on an I/O error or a full disk: the whole transaction goes.
      group.write(() => {
        db.exec('ROLLBACK');
        throw new Error('disk I/O error');
      }),
      group.write(() => insert('c')),
    ]);
    expect(outcomes.map((outcome) => outcome.status === 'rejected' && (outcome.reason as Error).message)).toEqual(Array(3).fill('disk I/O error'));
    expect(rows()).toEqual([]);
  });

  it('a read with nothing queued runs at once; one asked behind writes runs after them in their batch', async () => {
    const { group, insert, rows } = connection();
    let ranAt = 'not yet';
    const immediate = group.read(() => {
      ranAt = 'at once';
      return rows();
    });
    expect(ranAt).toBe('at once');
    expect(await immediate).toEqual([]);

    const written = group.write(() => insert('a'));
    const behind = group.read(rows);
    const settled: string[] = [];
    void written.then(() => settled.push('write'));
    void behind.then(() => settled.push('read'));
    expect(await behind).toEqual(['a']);
    expect(settled).toEqual(['write', 'read']);
  });

  it('flush commits what is queued now, and a write on a closed connection rejects', async () => {
    const { db, group, insert, rows } = connection();
    const written = group.write(() => insert('a'));
    group.flush();
    expect(rows()).toEqual(['a']);
    expect(await written).toBe(1);
    db.close();
    opened.splice(0);
    await expect(group.write(() => insert('b'))).rejects.toThrow(/not open/);
  });
});

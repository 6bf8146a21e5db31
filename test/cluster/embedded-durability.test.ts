/**
 * Issue 7 item 3: the embedded store keeps what it answered. One service process on a SQLite
 * DATA_DIR serves concurrent clients (token-traffic.ts) and is killed with SIGKILL at a random
 * moment in the middle of their requests, three times over. After each kill:
 * - a new process starts on the same DATA_DIR: the lock went with its holder (data-dir-lock.ts);
 * - the file as the crash left it (a copy) holds no half-written record (store-invariants.ts), and
 *   holds what was answered: each exchanged code's grant redeemed and naming its refresh token, each
 *   refresh token under the hash of its secret, revoked if and only if its revocation was answered;
 * - the new process serves the ledger: every refresh token answered with 200 still refreshes, unless
 *   the test revoked it with a 200 and then it is refused; every access token and long-lived token
 *   answered opens GET /api/ (all are younger than their 30 minutes or one day), a revoked token's
 *   access tokens no longer do.
 * The WAL is fsynced at each commit (`synchronous=FULL`, open-database.ts), which the check asserts;
 * what this test kills is the process, not the machine.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../src/domain/ids.js';
import { DATABASE_FILE, openDatabase } from '../../src/stores/sqlite/open-database.js';
import { KEY_FILE } from '../../src/stores/sealing/secrets-keys.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { StoredRecord } from '../../src/stores/store-contents.js';
import { checkStoreInvariants } from '../support/store-invariants.js';
import { READY_TIMEOUT_MS, startService, type ServiceProcess } from '../support/service-process.js';
import { CLIENT_ID } from '../support/test-server.js';
import { getWithBearer } from './instances.js';
import { OWNER, redeem, startTraffic, type Ledger, type Session } from './token-traffic.js';
import { postJson, refreshGrant } from '../support/http-client.js';

const ROUNDS = 3;
const WORKERS = 4;
/** New sessions each round waits for before its kill, so that every round has answers to lose. */
const SESSIONS_PER_ROUND = 3;
/** The kill comes at a random moment within this much more traffic. */
const MAX_KILL_DELAY_MS = 1_500;
/** SQLite's `PRAGMA synchronous` value of FULL. */
const SYNCHRONOUS_FULL = 2;

const dirs: string[] = [];
let service: ServiceProcess | undefined;

afterAll(async () => {
  await service?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hass-auth-durability-'));
  dirs.push(dir);
  return dir;
}

/** Runs traffic until enough new sessions exist, waits a random while more, then kills the process. */
async function killDuringTraffic(running: ServiceProcess, ledger: Ledger, round: number): Promise<void> {
  let down = false;
  const before = ledger.sessions.length;
  const traffic = startTraffic(running, ledger, WORKERS, String(round), () => down);
  const enough = vi.waitFor(
    () => {
      if (ledger.sessions.length < before + SESSIONS_PER_ROUND) throw new Error(`${ledger.sessions.length - before} new sessions`);
    },
    { timeout: 30_000, interval: 20 },
  );
  await Promise.race([enough, traffic.done]);
  await sleep(Math.random() * MAX_KILL_DELAY_MS);
  const inFlight = traffic.inFlight();
  down = true;
  await running.stop('SIGKILL');
  await traffic.done;
  expect(running.child.signalCode).toBe('SIGKILL');
  expect(inFlight, 'requests in flight at the kill').toBeGreaterThan(0);
}

function expectedState(session: Session): unknown {
  if (session.revocation === 'sent') return expect.stringMatching(/^(issued|revoked)$/);
  return session.revocation === 'answered' ? 'revoked' : 'issued';
}

/** Copies the database files of `dataDir` (the WAL too) as the killed process left them, and the key that opens their secrets. */
function copyDatabaseFiles(dataDir: string, into: string): void {
  for (const file of readdirSync(dataDir).filter((name) => name.startsWith(DATABASE_FILE) || name === KEY_FILE)) copyFileSync(join(dataDir, file), join(into, file));
}

/** SQLite's own view of the file: intact, no dangling foreign key, and the connection set to FULL. */
function expectIntactFile(crashCopy: string): void {
  const db = openDatabase(crashCopy);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('synchronous', { simple: true })).toBe(SYNCHRONOUS_FULL);
  } finally {
    db.close();
  }
}

const stateOf = (record: StoredRecord | undefined) => (record?.envelope?.snapshot as { value?: unknown } | undefined)?.value;
const contextOf = (record: StoredRecord | undefined) => (record?.envelope?.snapshot as { context?: Record<string, unknown> } | undefined)?.context;

/**
 * The crash's file, read from a copy (the restarted service holds the original exclusively, and
 * must recover it itself): consistent (store-invariants.ts), and holding every answer of the ledger.
 */
async function expectStored(crashCopy: string, ledger: Ledger): Promise<void> {
  expectIntactFile(crashCopy);
  const store = openSqliteStore({ dataDir: crashCopy });
  try {
    expect(await checkStoreInvariants(store)).toEqual([]);
    const contents = await store.readContents();
    const byId = (records: StoredRecord[]) => new Map(records.map((record) => [record.id, record]));
    const grants = byId(contents.records.loginGrant);
    const tokens = byId(contents.records.refreshToken);
    const byHash = new Map(contents.refreshTokenHashIndex.map(({ tokenHash, id }) => [tokenHash, id]));
    expect(
      ledger.sessions.map((session) => {
        const id = byHash.get(sha256Hex(session.refreshToken));
        const grant = grants.get(sha256Hex(session.code));
        return { token: [id, stateOf(tokens.get(id ?? ''))], grant: [stateOf(grant), contextOf(grant)?.refreshTokenId] };
      }),
    ).toEqual(ledger.sessions.map((session) => ({ token: [session.tokenId, expectedState(session)], grant: ['redeemed', session.tokenId] })));
    expect(ledger.longLived.map(({ tokenId }) => [stateOf(tokens.get(tokenId)), contextOf(tokens.get(tokenId))?.tokenType])).toEqual(
      ledger.longLived.map(() => ['issued', 'long_lived_access_token']),
    );
  } finally {
    await store.close();
  }
}

async function statusOf(response: Promise<Response>): Promise<number> {
  const answered = await response;
  await answered.arrayBuffer();
  return answered.status;
}

/** The restarted process honours the ledger: live tokens work, revoked ones stay revoked. */
async function expectServed(running: ServiceProcess, ledger: Ledger): Promise<void> {
  const sessions = await Promise.all(
    ledger.sessions.map(async (session) => ({
      refresh: await statusOf(refreshGrant(running, session.refreshToken)),
      api: await Promise.all(session.accessTokens.map((token) => statusOf(getWithBearer(running, '/api/', token)))),
    })),
  );
  const expected = ledger.sessions.map((session, i) => {
    const revoked = session.revocation === 'answered' || (session.revocation === 'sent' && sessions[i]?.refresh !== 200);
    return { refresh: revoked ? 400 : 200, api: session.accessTokens.map(() => (revoked ? 401 : 200)) };
  });
  expect(sessions).toEqual(expected);
  const longLived = await Promise.all(ledger.longLived.map(({ accessToken }) => statusOf(getWithBearer(running, '/api/', accessToken))));
  expect(longLived).toEqual(ledger.longLived.map(() => 200));
}

it(
  'keeps every token it answered, and no half-written record, across kill -9 in the middle of traffic',
  async () => {
    const dataDir = tempDir();
    service = await startService({ DATA_DIR: dataDir });
    const onboarded = await postJson(service, '/api/onboarding/users', { ...OWNER, client_id: CLIENT_ID });
    const { auth_code: code } = (await onboarded.json()) as { auth_code: string };
    const ledger: Ledger = { sessions: [await redeem(service, code)], longLived: [] };
    for (let round = 1; round <= ROUNDS; round += 1) {
      await killDuringTraffic(service, ledger, round);
      const crashCopy = tempDir();
      copyDatabaseFiles(dataDir, crashCopy);
      // Not refused: a lock left by the killed process would stop this start (DataDirLockedError).
      service = await startService({ DATA_DIR: dataDir });
      await expectStored(crashCopy, ledger);
      await expectServed(service, ledger);
    }
  },
  (ROUNDS + 1) * READY_TIMEOUT_MS,
);

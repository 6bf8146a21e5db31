/**
 * The embedded store (ARCHITECTURE.md, "Stores"): SQLite in DATA_DIR, for a single instance. The
 * default when REDIS_URL is unset; `:memory:` serves fast unit tests.
 *
 * Every call is synchronous underneath (better-sqlite3) and the process holds the database
 * exclusively (data-dir-lock.ts), which is what makes each compare-and-set and each multi-row
 * write atomic without any locking of our own.
 *
 * Writes are group-committed (group-commit.ts): each write method queues a unit of synchronous
 * statements, and the units queued in one turn of the event loop commit together, in one transaction
 * with one fsync, each in a savepoint of its own (a unit that throws rejects alone). No write's
 * promise settles before that commit, and a read asked while writes are queued runs behind them and
 * settles with them: nothing answered rests on a write that is not durable. `close` commits what is
 * queued first.
 */
import { anywhere } from '../placement.js';
import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { systemClock, type Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/logger.js';
import { envelopeCodec, type EnvelopeCodec } from '../envelope-codec.js';
import { keyFileSealer } from '../sealing/secrets-keys.js';
import { logSealingPass } from '../sealing/sealing-marker.js';
import { createSealer, type Sealer } from '../sealing/sealer.js';
import type { ReadableStore } from '../store-contents.js';
import { StoreUnavailableError } from '../types.js';
import { sqliteActorRecords } from './actor-records.js';
import { sqliteGrants } from './grants.js';
import { sqliteAudit } from './audit.js';
import { sqliteContents } from './contents.js';
import { sqliteFlows } from './flows.js';
import { groupCommit } from './group-commit.js';
import { sqliteLoginAttempts } from './login-attempts.js';
import { sqliteMfa } from './mfa.js';
import { openDatabase } from './open-database.js';
import { sqliteRefreshTokens } from './refresh-tokens.js';
import { sqliteRecordCounts } from './record-counts.js';
import { inProcessRevocationBus } from './revocation-bus.js';
import { readSealingMarker, sealStoredSecrets, sealStoredSecretsIfMarked } from './sealing.js';
import { inProcessTransitionChannel } from './transition-channel.js';
import { sqliteEndedRecords } from './ended-records.js';
import { DEFAULT_SWEEP_INTERVAL_MS, startSweeper } from './sweep.js';
import { sqliteUsers } from './users.js';
import { sqliteSecrets } from './secrets.js';

export { DataDirLockedError } from './data-dir-lock.js';

export interface SqliteStoreOptions {
  /** A directory (created if missing) for `hass-auth.db`, or `':memory:'` (no file, no lock). */
  dataDir: string;
  clock?: Clock;
  /** How often expired rows are deleted; one minute by default. */
  sweepIntervalMs?: number;
  /**
   * Seals the store's secrets (sealing/sealer.ts): SECRETS_KEY's keys when given. By default the key
   * file `secrets.key` in `dataDir` (made at the first start), or a key of this process for `:memory:`.
   */
  sealer?: Sealer;
  /** Tells of the pass that seals stored secrets with a new key. */
  logger?: Logger;
}

/** The default sealer (SqliteStoreOptions.sealer) of a database that is open. */
function ownSealer(dataDir: string, db: Database): Sealer {
  if (dataDir === ':memory:') return createSealer([randomBytes(32)], 'the key of this in-memory store');
  return keyFileSealer(dataDir, { mustExist: readSealingMarker(db) !== null });
}

/** The sealer and the codec over it, once the stored secrets are all sealed with the first key. */
function prepareSealing(db: Database, options: SqliteStoreOptions): { sealer: Sealer; codec: EnvelopeCodec } {
  const sealer = options.sealer ?? ownSealer(options.dataDir, db);
  const codec = envelopeCodec(sealer);
  const started = performance.now();
  const pass = sealStoredSecretsIfMarked(db, sealer, codec);
  if (pass !== null) logSealingPass(options.logger, pass, performance.now() - started);
  return { sealer, codec };
}

/**
 * Opens the store, or throws DataDirLockedError when another process holds `dataDir`, or
 * SealingKeyError when the keys cannot be had or open none of the store's secrets.
 */
export function openSqliteStore(options: SqliteStoreOptions): ReadableStore {
  const clock = options.clock ?? systemClock;
  const db = openDatabase(options.dataDir);
  let sealing: { sealer: Sealer; codec: EnvelopeCodec };
  try {
    sealing = prepareSealing(db, options);
  } catch (error) {
    db.close();
    throw error;
  }
  const { sealer, codec } = sealing;
  const group = groupCommit(db, clock);
  const stopSweeper = startSweeper(db, clock, options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
  // The trail's writes kept inside a record's own unit are the tables' to call, not the services'.
  const { keepNow, ...audit } = sqliteAudit(db, group);
  return {
    kind: 'sqlite',
    placement: anywhere,
    users: sqliteUsers(db, group),
    grants: sqliteGrants(db, group, codec, keepNow),
    flows: sqliteFlows(db, group, codec),
    mfaSetupFlows: sqliteActorRecords(db, group, 'mfa_setup_flows', codec, keepNow),
    mfa: sqliteMfa(db, group, sealer),
    refreshTokens: sqliteRefreshTokens(db, group, codec, keepNow),
    revocations: inProcessRevocationBus(),
    transitions: inProcessTransitionChannel(options.logger),
    endedRecords: sqliteEndedRecords(db, group),
    secrets: sqliteSecrets(db, group, sealer),
    loginAttempts: sqliteLoginAttempts(db, group),
    audit,
    ping: async () => ping(db),
    countByState: sqliteRecordCounts(db, group),
    readContents: sqliteContents(db, group, codec),
    // In a unit of its own: it commits with the batch, and no batch is open while it runs.
    sealSecrets: () => group.write(() => sealStoredSecrets(db, sealer, codec)),
    close: async () => {
      stopSweeper();
      // What is queued commits first: the CLI and a stopping server answered nothing yet for it.
      group.flush();
      // Closing releases the directory lock; a second close is harmless.
      if (db.open) db.close();
    },
  };
}

function ping(db: Database): void {
  try {
    db.prepare('SELECT 1').get();
  } catch (error) {
    throw new StoreUnavailableError('the embedded store is closed', { cause: error });
  }
}

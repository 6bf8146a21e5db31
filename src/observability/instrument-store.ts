/**
 * instrumentStore(store, metrics): the same store, with every round trip timed in
 * `hass_auth_store_seconds{operation}` and every rejection counted in
 * `hass_auth_store_errors_total{operation}`, then rethrown as it came (StoreUnavailableError still
 * reaches the error handler, which answers 503). `operation` is `<family>.<method>`
 * (`refreshTokens.compareAndSet`), or `ping`.
 *
 * Listening on the revocation bus is no round trip: `subscribe` and `onMissedMessages` pass through,
 * and so do the transition channel (its publish is never awaited), `loginAttempts.watchBans` and `close`. The method lists are typed against the contract (types.ts), so a method added
 * there fails to compile here until it is timed too.
 */
import type { Metrics } from './metrics.js';
import type { AuditLog, EndedRecordCounts, FlowStore, GrantStore, LoginAttemptStore, MfaSetupFlowStore, MfaStore, RefreshTokenStore, SecretStore, Store, UserStore } from '../stores/types.js';

type AsyncCall = (...args: never[]) => Promise<unknown>;

function timed<F extends AsyncCall>(call: F, operation: string, metrics: Metrics): F {
  const seconds = metrics.storeSeconds.labels(operation);
  const errors = metrics.storeErrors.labels(operation);
  // Zero from the start, so that a rate over the first error is defined.
  errors.inc(0);
  const timedCall = async (...args: Parameters<F>) => {
    const started = performance.now();
    try {
      return await call(...args);
    } catch (error) {
      errors.inc();
      throw error;
    } finally {
      seconds.observe((performance.now() - started) / 1000);
    }
  };
  return timedCall as F;
}

/**
 * The method is looked up on every call, not once: what replaces it later (a test's spy) is what runs.
 */
function timedMethods<T extends object>(target: T, family: string, methods: Record<keyof T, true>, metrics: Metrics): T {
  const methodsOf = target as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const wrapped: Record<string, AsyncCall> = {};
  for (const name of Object.keys(methods)) {
    if (typeof methodsOf[name] !== 'function') throw new TypeError(`store.${family}.${name} is not a method`);
    wrapped[name] = timed((...args: unknown[]) => methodsOf[name]!(...args), `${family}.${name}`, metrics);
  }
  return wrapped as T;
}

const ACTOR_RECORDS = { load: true, create: true, compareAndSet: true, delete: true } as const;

const USERS: Record<keyof UserStore, true> = {
  createUser: true, getUser: true, listUsers: true, updateUser: true, deleteUser: true,
  isOnboarded: true, markOnboarded: true, undoOnboarding: true,
  addCredential: true, findCredential: true, getCredential: true, listCredentials: true,
  removeCredential: true, updateCredential: true, renameLogin: true, addLogin: true,
  addPassword: true, getPassword: true, setPassword: true, deletePassword: true, listPasswords: true,
};
const GRANTS: Record<keyof GrantStore, true> = { ...ACTOR_RECORDS, loadRedemption: true, redeem: true };
const FLOWS: Record<keyof FlowStore, true> = { ...ACTOR_RECORDS, openFor: true };
const MFA_SETUP_FLOWS: Record<keyof MfaSetupFlowStore, true> = ACTOR_RECORDS;
const MFA: Record<keyof MfaStore, true> = { getSecret: true, setSecret: true, deleteSecret: true, listModuleIds: true, acceptStep: true };
const REFRESH_TOKENS: Record<keyof RefreshTokenStore, true> = { ...ACTOR_RECORDS, findIdByTokenHash: true, loadByTokenHash: true, loadPresented: true, loadSession: true, listByUser: true, exchange: true, recordUse: true };
const SECRETS: Record<keyof SecretStore, true> = { getOrCreate: true };
/** `watchBans` listens (no round trip), as the revocation bus' `subscribe`: it passes through. */
const LOGIN_ATTEMPTS: Record<Exclude<keyof LoginAttemptStore, 'watchBans'>, true> = {
  recordFailure: true, failureCount: true, resetFailures: true, isBanned: true, listBans: true, liftBan: true,
};

const AUDIT: Record<keyof AuditLog, true> = { append: true, tail: true, forRecord: true, forUser: true };
const ENDED_RECORDS: Record<keyof EndedRecordCounts, true> = { count: true, lastHour: true };

export function instrumentStore(store: Store, metrics: Metrics): Store {
  const { revocations } = store;
  return {
    kind: store.kind,
    // Minting happens in process: nothing to time.
    placement: store.placement,
    users: timedMethods(store.users, 'users', USERS, metrics),
    grants: timedMethods(store.grants, 'grants', GRANTS, metrics),
    refreshTokens: timedMethods(store.refreshTokens, 'refreshTokens', REFRESH_TOKENS, metrics),
    flows: timedMethods(store.flows, 'flows', FLOWS, metrics),
    mfaSetupFlows: timedMethods(store.mfaSetupFlows, 'mfaSetupFlows', MFA_SETUP_FLOWS, metrics),
    mfa: timedMethods(store.mfa, 'mfa', MFA, metrics),
    secrets: timedMethods(store.secrets, 'secrets', SECRETS, metrics),
    loginAttempts: {
      ...timedMethods<Omit<LoginAttemptStore, 'watchBans'>>(store.loginAttempts, 'loginAttempts', LOGIN_ATTEMPTS, metrics),
      watchBans: (watcher) => store.loginAttempts.watchBans(watcher),
    },
    audit: timedMethods(store.audit, 'audit', AUDIT, metrics),
    revocations: {
      publish: timed((ids: string[]) => revocations.publish(ids), 'revocations.publish', metrics),
      subscribe: (listener) => revocations.subscribe(listener),
      onMissedMessages: (listener) => revocations.onMissedMessages(listener),
    },
    // Publishing is not awaited by anyone (a lost notice is a gap in a feed): it passes through, as listening does.
    transitions: store.transitions,
    endedRecords: timedMethods(store.endedRecords, 'endedRecords', ENDED_RECORDS, metrics),
    ping: timed(() => store.ping(), 'ping', metrics),
    // Its time is what `hass_auth_records` costs a scrape (services/inspection/record-counts.ts caches it).
    countByState: timed((...args: Parameters<Store['countByState']>) => store.countByState(...args), 'countByState', metrics),
    sealSecrets: timed((...args: Parameters<Store['sealSecrets']>) => store.sealSecrets(...args), 'sealSecrets', metrics),
    close: () => store.close(),
  };
}

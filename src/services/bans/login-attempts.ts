/**
 * Failed-login accounting and IP bans (homeassistant/components/http/ban.py, ha-auth-spec §11).
 *
 * - `recordFailure` is Home Assistant's `process_wrong_login`: it logs the WARNING, and when bans are
 *   on and `login_attempts_threshold` ≥ 1 it counts the failure; the failure that reaches the threshold
 *   bans the address and logs `Banned IP … for too many login attempts` (once, on the instance whose
 *   write banned it: the store counts and bans in one step).
 * - `recordSuccess` is `process_success_login`: it forgets the address' count. Bans never lift by
 *   themselves; an operator lifts them (`hass-auth ban lift`).
 * - `isBanned` is the ban middleware's lookup: exact address, no networks. It reads this instance's
 *   copy of the ban list (ban-copy.ts), which the store keeps current, so that the check every request
 *   makes costs no round trip; while the copy cannot be trusted it asks the store.
 *
 * Unlike Home Assistant, counters and bans are in the store, so every instance shares them and they
 * survive restarts. Home Assistant's counters live until a success or a restart; a stored counter would
 * live forever, so it is forgotten a day after the address' last failure instead (one guess a day is
 * no attack, and the store does not keep a row for every address that ever mistyped a password).
 *
 * Also unlike Home Assistant: no reverse DNS lookup of the address (an attacker would choose what we
 * ask and wait for; the log shows the address where Home Assistant shows the host name, which is what
 * Home Assistant prints when the lookup fails), no persistent notifications (there is no frontend to
 * show them), and query values are left out of the logged URL (a signed path's `authSig` is a
 * credential). Counting never changes an answer: a failure to count is logged, not thrown.
 */
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/logger.js';
import { formatIpAddress, parseIpAddress } from '../../domain/network.js';
import type { IpBan, Store } from '../../stores/types.js';
import { watchBanList } from './ban-copy.js';

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const CANONICAL_IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

/** How long a count lives after its address' last failure. */
export const FAILED_LOGIN_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Home Assistant's `http:` keys (auth-config.ts). */
export interface LoginAttemptPolicy {
  /** `ip_ban_enabled`: banned addresses are refused, and 401s of protected views count. */
  ipBanEnabled: boolean;
  /** `login_attempts_threshold`: below 1 (HA's default -1), nothing is counted and nobody banned. */
  loginAttemptsThreshold: number;
}

/** What the WARNING says about a failed attempt. */
export interface FailedLogin {
  /** The requested path and query, as received. */
  url: string;
  userAgent: string | null;
}

export interface IpBanAdmin {
  /** Every ban, oldest first. */
  listBans(): Promise<IpBan[]>;
  /** Lifts the ban of `ip` (and forgets its count); false when it was not banned. */
  lift(ip: string): Promise<boolean>;
}

export interface LoginAttemptService extends IpBanAdmin {
  readonly ipBanEnabled: boolean;
  recordFailure(ip: string, failed: FailedLogin): Promise<void>;
  recordSuccess(ip: string): Promise<void>;
  /** Always false when bans are off. Rejects when the store cannot answer (and the copy is not trusted). */
  isBanned(ip: string): Promise<boolean>;
  /** Stops watching the ban list (the app closes). */
  stop(): void;
}

/**
 * The key of an address: its normalized text (Python's `ip_address`), with an IPv4 client seen
 * through an IPv6 socket (`::ffff:192.0.2.1`) keyed as the IPv4 address it is, so that one client is
 * one key whichever way an instance listens. Text that is no address is kept as it is.
 */
export function banKey(ip: string): string {
  // Every request asks: an IPv4 address in its normal form (what Node reports) is its own key.
  if (CANONICAL_IPV4.test(ip)) return ip;
  const address = parseIpAddress(ip);
  if (address === null) return ip;
  if (address.version === 6 && address.value >> 32n === 0xffffn) {
    return formatIpAddress({ version: 4, value: address.value & 0xffffffffn, scopeId: null });
  }
  return formatIpAddress(address);
}

/** `/api/?authSig=***`: the names of the query's parameters without their values. */
export function withoutQueryValues(url: string): string {
  const question = url.indexOf('?');
  if (question < 0) return url;
  const query = url
    .slice(question + 1)
    .split('&')
    .map((pair) => (pair.includes('=') ? `${pair.slice(0, pair.indexOf('='))}=***` : pair))
    .join('&');
  return `${url.slice(0, question)}?${query}`;
}

/** Listing and lifting bans need no policy: the command line uses these. */
export function ipBanAdmin(store: Store): IpBanAdmin {
  return {
    listBans: () => store.loginAttempts.listBans(),
    lift: (ip) => store.loginAttempts.liftBan(banKey(ip)),
  };
}

export function loginAttemptService(store: Store, clock: Clock, logger: Logger, policy: LoginAttemptPolicy): LoginAttemptService {
  const threshold = policy.loginAttemptsThreshold;
  // HA's `process_wrong_login` counts only when the ban middleware is loaded and the threshold is ≥ 1.
  const counting = policy.ipBanEnabled && threshold >= 1;
  const couldNotCount = (error: unknown) =>
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not update the failed-login count');
  // Bans off: no lookups, nothing to keep a copy for.
  const copy = policy.ipBanEnabled ? watchBanList(store.loginAttempts, logger) : null;
  const admin = ipBanAdmin(store);

  return {
    listBans: () => admin.listBans(),
    async lift(ip) {
      const lifted = await admin.lift(ip);
      if (lifted) copy?.apply(banKey(ip), false);
      return lifted;
    },
    ipBanEnabled: policy.ipBanEnabled,

    async recordFailure(ip, { url, userAgent }) {
      const key = banKey(ip);
      logger.warn(
        { ip: key },
        `Login attempt or request with invalid authentication from ${key} (${key}). Requested URL: '${withoutQueryValues(url)}'. (${userAgent ?? 'None'})`,
      );
      if (!counting) return;
      try {
        const { banned } = await store.loginAttempts.recordFailure(key, { threshold, windowMs: FAILED_LOGIN_WINDOW_MS, now: clock() });
        if (banned) {
          // In force here before the answer leaves; the other instances hear it from the store.
          copy?.apply(key, true);
          logger.warn({ ip: key }, `Banned IP ${key} for too many login attempts`);
        }
      } catch (error) {
        couldNotCount(error);
      }
    },

    async recordSuccess(ip) {
      if (!counting) return;
      try {
        await store.loginAttempts.resetFailures(banKey(ip));
      } catch (error) {
        couldNotCount(error);
      }
    },

    async isBanned(ip) {
      if (copy === null) return false;
      const key = banKey(ip);
      return copy.lookup(key) ?? store.loginAttempts.isBanned(key);
    },

    stop() {
      copy?.stop();
    },
  };
}

/**
 * What `hass-auth` does on a store, run as a real process against each adapter (sqlite.test.ts,
 * redis.test.ts). The user commands print Home Assistant's words (`hass --script auth`,
 * ha-auth-spec §14.8); the token commands list and revoke what the services created.
 */
import { describe, it, type TestContext } from 'vitest';
import type { RefreshTokenContext } from '../../machines/refresh-token.js';
import { verifyPassword } from '../../src/domain/passwords.js';
import { HA_VERSION } from '../../src/domain/version.js';
import { createHomeAssistantProvider } from '../../src/services/providers/password-store.js';
import { refreshTokenService } from '../../src/services/tokens/refresh-tokens.js';
import { userService } from '../../src/services/users/users.js';
import type { Store } from '../../src/stores/types.js';
import { silentLogger } from '../support/logger.js';
import { FAST_HASHES, hassAuth, type CliStore, type CliStoreKind } from './cli-process.js';

const iso = (ms: number) => new Date(ms).toISOString();

async function withStore<T>(cliStore: CliStore, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await cliStore.open();
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

const homeAssistantCredential = (username: string) => ({
  id: `credential-${username}`,
  authProviderType: 'homeassistant',
  authProviderId: null,
  data: { username },
  lookupKey: username,
});

/**
 * The line `token list` prints for a token, written out here from the token's fields: id, type,
 * client, created, last used, last IP, expiry (ISO-8601, `never` / `-` when unset).
 */
function expectedLine(token: RefreshTokenContext, client: string): string {
  const orNever = (ms: number | null) => (ms === null ? 'never' : iso(ms));
  return [token.id, token.tokenType, client, iso(token.createdAt), orNever(token.lastUsedAt), token.lastUsedIp ?? '-', orNever(token.expireAt)].join('\t');
}

/**
 * What logins leave behind: alice (a session, used again a second later from 192.168.1.5, and a
 * long-lived token whose name holds a tab, shown escaped), bob (a session), and carol, who has a
 * password but never logged in. Times are one second apart.
 */
async function seedTokens(store: Store) {
  let now = Date.now() - 60_000;
  const users = userService(store, () => now);
  const tokens = refreshTokenService(store, () => now, silentLogger(), HA_VERSION);
  await createHomeAssistantProvider(store.users, { rounds: 4 }).addAuth('carol', 'secret');
  const alice = await users.getOrCreateUser(homeAssistantCredential('alice'));
  const bob = await users.getOrCreateUser(homeAssistantCredential('bob'));
  const session = await tokens.create(alice, { clientId: 'https://app.example/', ip: '10.0.0.2' });
  now += 1000;
  await tokens.mintAccessToken(session.id, '192.168.1.5');
  now += 1000;
  const longLived = await tokens.create(alice, { clientId: null, clientName: 'Kitchen\ttablet', tokenType: 'long_lived_access_token', ip: null });
  now += 1000;
  await tokens.create(bob, { clientId: 'https://other.example/', ip: null });
  const [aliceTokens, bobTokens] = await Promise.all([tokens.listForUser(alice.id), tokens.listForUser(bob.id)]);
  const used = aliceTokens.find((token) => token.id === session.id);
  const named = aliceTokens.find((token) => token.id === longLived.id);
  const bobs = bobTokens[0];
  if (used === undefined || named === undefined || bobs === undefined) throw new Error('seeded tokens are missing');
  if (used.lastUsedIp !== '192.168.1.5' || used.lastUsedAt === used.createdAt) throw new Error('the session use was not recorded');
  return {
    aliceId: alice.id,
    session,
    longLived,
    sessionLine: expectedLine(used, 'https://app.example/'),
    longLivedLine: expectedLine(named, 'Kitchen\\x09tablet'),
    bobLine: expectedLine(bobs, 'https://other.example/'),
  };
}

/** One test's store and the CLI pointed at it; the store is removed when the test ends. */
function cliOn(kind: CliStoreKind, { expect, onTestFinished }: TestContext) {
  const cliStore = kind.create();
  onTestFinished(() => cliStore.cleanup());
  /** The command's stdout, after checking that it ran cleanly (exit 0, nothing on stderr). */
  const output = async (...args: string[]) => {
    const result = await hassAuth(args, { ...cliStore.env, ...FAST_HASHES });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    return result.stdout;
  };
  return { cliStore, output };
}

/**
 * Each test has a store of its own, so they run side by side: most of their time is the start-up
 * of each command (about a second of CPU: tsx, then the modules), hence the generous timeout.
 */
export function describeCliOn(kind: CliStoreKind): void {
  describe.concurrent(`hass-auth on the ${kind.name} store`, { timeout: 60_000 }, () => {
    it('lists an empty store as Home Assistant does: a blank line and the total', async (context) => {
      const { output } = cliOn(kind, context);
      context.expect(await output('user', 'list')).toBe('\nTotal users: 0\n');
    });

    it('adds a login, lists it, validates passwords and changes one', async (context) => {
      const { expect } = context;
      const { cliStore, output } = cliOn(kind, context);
      expect(await output('user', 'add', 'alice', 'first password')).toBe('Auth created\n');
      expect(await output('user', 'list')).toBe('alice\n\nTotal users: 1\n');
      expect(await output('user', 'validate', 'alice', 'first password')).toBe('Auth valid\n');
      expect(await output('user', 'validate', 'alice', 'wrong')).toBe('Auth invalid\n');
      expect(await output('user', 'change-password', 'alice', 'second password')).toBe('Password changed\n');
      expect(await output('user', 'validate', 'alice', 'second password')).toBe('Auth valid\n');
      await withStore(cliStore, async (store) => {
        // HA's `add` makes only the password entry (no User), hashed at the cost the test asked for.
        expect(await store.users.listUsers()).toEqual([]);
        const entry = await store.users.getPassword('alice');
        expect(Buffer.from(entry?.passwordHash ?? '', 'base64').toString('latin1')).toMatch(/^\$2b\$04\$/);
        expect(await verifyPassword('first password', entry?.passwordHash ?? '')).toBe(false);
      });
    });

    it('says "Username already exists!" for a taken or non-normalized name, "User not found" for an unknown one', async (context) => {
      const { expect } = context;
      const { cliStore, output } = cliOn(kind, context);
      await withStore(cliStore, (store) => createHomeAssistantProvider(store.users, { rounds: 4 }).addAuth('alice', 'pw'));
      expect(await output('user', 'add', 'alice', 'other')).toBe('Username already exists!\n');
      expect(await output('user', 'add', 'Alice', 'other')).toBe('Username already exists!\n');
      expect(await output('user', 'change-password', 'nobody', 'pw')).toBe('User not found\n');
      await withStore(cliStore, async (store) => {
        const entries = await store.users.listPasswords();
        expect(entries.map((entry) => entry.username)).toEqual(['alice']);
        expect(await verifyPassword('pw', entries[0]?.passwordHash ?? '')).toBe(true);
      });
    });

    it('names a new owner once an admin deleted the owner, and hands the role on, onboarding staying done', async (context) => {
      const { expect } = context;
      const { cliStore, output } = cliOn(kind, context);
      const carolId = await withStore(cliStore, async (store) => {
        const users = userService(store, Date.now);
        const provider = createHomeAssistantProvider(store.users, { rounds: 4 });
        const owner = await users.createOwner('Alice');
        await store.users.deleteUser(owner?.id ?? '');
        await provider.addAuth('bob', 'secret');
        await provider.addAuth('carol', 'secret');
        return (await users.getOrCreateUser(homeAssistantCredential('carol'))).id;
      });
      expect(await output('user', 'set-owner', 'nobody')).toBe('User not found\n');
      // bob never logged in: his user is made as his first login would make it.
      expect(await output('user', 'set-owner', ' Bob')).toBe('Owner set\n');
      const bob = await withStore(cliStore, async (store) => {
        const credential = await store.users.findCredential('homeassistant', null, 'bob');
        const user = await store.users.getUser(credential?.userId ?? '');
        expect(user).toMatchObject({ name: 'bob', isOwner: true, isActive: true });
        expect(await store.users.isOnboarded()).toBe(true);
        return user;
      });
      expect(await output('user', 'set-owner', 'carol')).toBe('Owner set\n');
      await withStore(cliStore, async (store) => {
        const owners = (await store.users.listUsers()).filter((user) => user.isOwner).map((user) => user.id);
        expect(owners).toEqual([carolId]);
        expect(await store.users.getUser(bob?.id ?? '')).toMatchObject({ isOwner: false, isActive: true });
      });
    });

    it("lists live refresh tokens, one user's (found by username) or everyone's", async (context) => {
      const { expect } = context;
      const { cliStore, output } = cliOn(kind, context);
      const seeded = await withStore(cliStore, seedTokens);
      expect(await output('token', 'list', ' Alice')).toBe(`${seeded.sessionLine}\n${seeded.longLivedLine}\n\nTotal tokens: 2\n`);
      expect(await output('token', 'list')).toBe(
        `alice\t${seeded.sessionLine}\nalice\t${seeded.longLivedLine}\nbob\t${seeded.bobLine}\n\nTotal tokens: 3\n`,
      );
      expect(await output('token', 'list', 'carol')).toBe('\nTotal tokens: 0\n');
      expect(await output('token', 'list', 'nobody')).toBe('User not found\n');
    });

    it('lists banned addresses oldest first, and lifts a ban once, with its count', async (context) => {
      const { expect } = context;
      const { cliStore, output } = cliOn(kind, context);
      expect(await output('ban', 'list')).toBe('\nTotal bans: 0\n');
      const [first, second] = [Date.UTC(2026, 0, 2, 3, 4, 5), Date.UTC(2026, 0, 3)];
      await withStore(cliStore, async (store) => {
        await store.loginAttempts.recordFailure('2001:db8::7', { threshold: 1, windowMs: 3_600_000, now: second });
        await store.loginAttempts.recordFailure('203.0.113.7', { threshold: 1, windowMs: 3_600_000, now: first });
        await store.loginAttempts.recordFailure('203.0.113.8', { threshold: 5, windowMs: 3_600_000, now: first });
      });
      expect(await output('ban', 'list')).toBe(
        '203.0.113.7\t2026-01-02T03:04:05.000Z\n2001:db8::7\t2026-01-03T00:00:00.000Z\n\nTotal bans: 2\n',
      );
      // An IPv4 client seen through an IPv6 socket is the IPv4 address.
      expect(await output('ban', 'lift', '::ffff:203.0.113.7')).toBe('Ban lifted\n');
      expect(await output('ban', 'lift', '203.0.113.7')).toBe('Ban not found\n');
      expect(await output('ban', 'lift', '203.0.113.8')).toBe('Ban not found\n');
      expect(await output('ban', 'list')).toBe('2001:db8::7\t2026-01-03T00:00:00.000Z\n\nTotal bans: 1\n');
      await withStore(cliStore, async (store) => {
        expect(await store.loginAttempts.isBanned('203.0.113.7')).toBe(false);
        expect(await store.loginAttempts.failureCount('203.0.113.7')).toBe(0);
        expect(await store.loginAttempts.failureCount('203.0.113.8')).toBe(1);
      });
    });

    it('seals the stored secrets with the first key on demand, saying with which and how many it sealed again', async (context) => {
      const { expect } = context;
      const { cliStore, output } = cliOn(kind, context);
      // Everything is sealed with the first key already: the store did it when it was first opened.
      const { keyId, resealed } = await withStore(cliStore, (store) => store.sealSecrets());
      expect(resealed).toBe(0);
      expect(await output('secrets', 'seal')).toBe(`Sealed again with key ${keyId}: 0\n`);
    });

    it('revokes a live token once, and finds no token it does not know', async (context) => {
      const { expect } = context;
      const { cliStore, output } = cliOn(kind, context);
      const seeded = await withStore(cliStore, seedTokens);
      expect(await output('token', 'revoke', seeded.session.id)).toBe('Token revoked\n');
      expect(await output('token', 'revoke', seeded.session.id)).toBe('Token not found\n');
      expect(await output('token', 'revoke', '0123456789abcdef0123456789abcdef')).toBe('Token not found\n');
      await withStore(cliStore, async (store) => {
        const tokens = refreshTokenService(store, Date.now, silentLogger(), HA_VERSION);
        expect(await tokens.findBySecret(seeded.session.secret)).toBeNull();
        expect((await tokens.listForUser(seeded.aliceId)).map((token) => token.id)).toEqual([seeded.longLived.id]);
      });
    });
  });
}

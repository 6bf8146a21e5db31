/**
 * `hass-auth import-ha` run as a real process against each store (import-ha-sqlite.test.ts,
 * import-ha-redis.test.ts), on a copy of the fixture's configuration directory (ha-fixture.ts):
 * the dry run, the import and its second run, conflicts (stopped, kept, replaced), and bad input,
 * which must leave the store exactly as it was.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/domain/passwords.js';
import type { Store } from '../../src/stores/types.js';
import type { User } from '../../src/domain/models.js';
import { hassAuth, type CliStore, type CliStoreKind } from './cli-process.js';
import { candidateKeys, verifiesHs256 } from '../support/stored-values.js';
import { copyFixture, dumpStore, editStorage, fixtureToken, HA, homeAssistantLongLivedJwt, readFixture, TOKEN_IDS, writeStorage } from './ha-fixture.js';

async function withStore<T>(cliStore: CliStore, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await cliStore.open();
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** One test's store and fixture copy, removed when the test ends. */
function setUp(kind: CliStoreKind, { onTestFinished }: TestContext) {
  const cliStore = kind.create();
  const config = copyFixture();
  onTestFinished(async () => {
    config.cleanup();
    await cliStore.cleanup();
  });
  const importHa = (...options: string[]) => hassAuth(['import-ha', config.dir, ...options], cliStore.env);
  const dump = () => withStore(cliStore, dumpStore);
  return { cliStore, dir: config.dir, importHa, dump };
}

const lines = (text: string) => text.split('\n');

/** The counts table of a plan: [new, present, conflicts] per kind. */
function countsTable(counts: Record<string, readonly [number, number, number]>): string[] {
  const header = `  ${''.padEnd(16)}${'new'.padStart(5)}${'present'.padStart(9)}${'conflicts'.padStart(11)}`;
  return [header, ...Object.entries(counts).map(([name, [fresh, present, conflicts]]) => `  ${name.padEnd(16)}${String(fresh).padStart(5)}${String(present).padStart(9)}${String(conflicts).padStart(11)}`)];
}

const ALL_NEW = { onboarding: [1, 0, 0], users: [5, 0, 0], 'TOTP secrets': [1, 0, 0], credentials: [2, 0, 0], passwords: [3, 0, 0], 'refresh tokens': [4, 0, 0] } as const;
const ALL_PRESENT = { onboarding: [0, 1, 0], users: [0, 5, 0], 'TOTP secrets': [0, 1, 0], credentials: [0, 2, 0], passwords: [0, 3, 0], 'refresh tokens': [0, 4, 0] } as const;

/** Someone who used hass-auth before importing: an owner "Alice (here)" whose login is also `alice`. */
async function seedOwnerNamedAlice(store: Store): Promise<User> {
  const owner: User = { id: 'a1'.repeat(16), name: 'Alice (here)', isOwner: true, isActive: true, systemGenerated: false, localOnly: false, groupIds: ['system-admin'], createdAt: Date.UTC(2026, 10, 1) };
  await store.users.createUser(owner, { asOwner: true });
  await store.users.addCredential({ id: 'c1'.repeat(16), userId: owner.id, authProviderType: 'homeassistant', authProviderId: null, data: { username: 'alice' }, lookupKey: 'alice' });
  await store.users.addPassword({ username: 'alice', passwordHash: await hashPassword('the password here', { rounds: 4 }) });
  return owner;
}

export function describeImportHaOn(kind: CliStoreKind): void {
  describe.concurrent(`hass-auth import-ha on the ${kind.name} store`, { timeout: 60_000 }, () => {
    it('--dry-run prints every record, the notes and the counts per kind, and writes nothing', async (context) => {
      const { expect } = context;
      const { dir, importHa, dump } = setUp(kind, context);
      const before = await dump();
      const result = await importHa('--dry-run');
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const out = lines(result.stdout);
      expect(out.slice(0, 5)).toEqual([
        `Home Assistant's configuration in ${dir}:`,
        '  .storage/auth                         version 1.1  5 users, 2 credentials, 4 refresh tokens',
        '  .storage/auth_provider.homeassistant  version 1.1  3 logins',
        '  .storage/auth_module.totp             version 1.1  1 TOTP secret',
        '  .storage/onboarding                   version 4.1  done: user, core_config, analytics, integration',
      ]);
      expect(out).toContain(`Records, against the ${kind.name} store:`);
      expect(out).toContain("  new       onboarding    Home Assistant's user step is done");
      expect(out).toContain(`  new       user          ${HA.alice.id} "Alice" (owner, system-admin)`);
      expect(out).toContain(`  new       user          ${HA.bob.id} "Bob" (local only, system-users)`);
      expect(out).toContain(`  new       user          ${HA.supervisor.id} "Supervisor" (system user, system-admin)`);
      expect(out).toContain(`  new       totp secret   user ${HA.alice.id}`);
      expect(out).toContain(`  new       credential    ${HA.alice.credentialId} homeassistant "alice" of user ${HA.alice.id}`);
      expect(out).toContain('  new       password      "carol"');
      expect(out).toContain(`  new       refresh token ${HA.tokens.aliceLongLived} long_lived_access_token "Kitchen tablet" of user ${HA.alice.id}`);
      expect(out).toContain(`  new       refresh token ${HA.tokens.bobPhone} normal ${HA.iosApp} of user ${HA.bob.id}`);
      expect(out).toContain('  .storage/auth_provider.homeassistant: data.users[2].username: "carol" has no user yet: its first login creates one (an administrator), as in Home Assistant');
      expect(out.slice(-10)).toEqual([...countsTable(ALL_NEW), '', 'Dry run: nothing was written; the import would write 16 records.', '']);
      // No secret is printed.
      for (const id of Object.values(HA.tokens)) expect(result.stdout).not.toContain(fixtureToken(id).token.slice(0, 16));
      expect(result.stdout).not.toContain(HA.totpSecret);
      expect(await dump()).toEqual(before);
    });

    it('imports everything once; a second run finds it all present and writes nothing', async (context) => {
      const { expect } = context;
      const { cliStore, importHa, dump } = setUp(kind, context);
      const first = await importHa();
      expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
      expect(lines(first.stdout).slice(-3)).toEqual(['', 'Imported: 16 records written.', '']);
      await withStore(cliStore, async (store) => {
        // In Home Assistant's order: the import creates them one millisecond apart.
        const users = (await store.users.listUsers()).sort((a, b) => a.createdAt - b.createdAt);
        expect(users.map((user) => [user.name, user.isOwner, user.groupIds])).toEqual([
          ['Alice', true, ['system-admin']],
          ['Home Assistant Content', false, ['system-read-only']],
          ['Supervisor', false, ['system-admin']],
          ['Bob', false, ['system-users']],
          ['Dave', false, ['system-read-only']],
        ]);
        const stored = (readFixture('auth_provider.homeassistant').data as { users: Array<{ username: string; password: string }> }).users;
        expect((await store.users.listPasswords()).sort((a, b) => a.username.localeCompare(b.username))).toEqual(
          stored.map(({ username, password }) => ({ username, passwordHash: password })),
        );
        expect(await verifyPassword(HA.bob.password, (await store.users.getPassword('bob'))?.passwordHash ?? '')).toBe(true);
        expect(await store.mfa.getSecret('totp', HA.alice.id)).toBe(HA.totpSecret);
        expect(await store.users.findCredential('homeassistant', null, 'bob')).toMatchObject({ id: HA.bob.credentialId, userId: HA.bob.id });
      });
      const imported = await dump();
      for (const { id, bySecret } of imported.tokens) expect(bySecret).toBe(id);

      // Written through the store, so sealed: no stored value holds an imported jwt_key or the TOTP secret,
      // or verifies the long-lived token Home Assistant signed.
      const values = await cliStore.storedValues();
      for (const id of TOKEN_IDS) expect(values.filter((value) => value.includes(fixtureToken(id).jwt_key))).toEqual([]);
      expect(values.filter((value) => value.includes(HA.totpSecret))).toEqual([]);
      const signed = await homeAssistantLongLivedJwt();
      expect(candidateKeys(values).filter((candidate) => verifiesHs256(signed, candidate))).toEqual([]);

      const second = await importHa();
      expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
      expect(lines(second.stdout).slice(-10)).toEqual([...countsTable(ALL_PRESENT), '', 'Nothing to import: everything is present already.', '']);
      expect(lines(second.stdout)).toContain(`  present   user          ${HA.alice.id} "Alice" (owner, system-admin)`);
      expect(await dump()).toEqual(imported);
    });

    it('stops on conflicts before writing anything, saying what differs and how to resolve it', async (context) => {
      const { expect } = context;
      const { cliStore, importHa, dump } = setUp(kind, context);
      const owner = await withStore(cliStore, seedOwnerNamedAlice);
      const before = await dump();
      for (const options of [[], ['--dry-run']]) {
        const result = await importHa(...options);
        const out = lines(result.stdout);
        expect(result.code).toBe(1);
        expect(out).toContain(`  conflict  owner         Home Assistant's owner ${HA.alice.id} "Alice"`);
        expect(out).toContain(`                          the store's owner is ${owner.id} "Alice (here)"`);
        expect(out).toContain(`  conflict  credential    ${HA.alice.credentialId} homeassistant "alice" of user ${HA.alice.id}`);
        expect(out).toContain(`                          the login is another user's here: credential ${'c1'.repeat(16)} homeassistant "alice" of user ${owner.id}`);
        expect(out).toContain('  conflict  password      "alice"');
        expect(out).toContain(`  new       user          ${HA.bob.id} "Bob" (local only, system-users)`);
        expect(result.stderr).toBe(
          `hass-auth: import-ha: 3 conflicts with what the store holds; ${options.length === 0 ? 'nothing was written' : 'the import would stop there'}; ` +
            "run again with --on-conflict=keep (the store's records stay, Home Assistant's conflicting ones are left out) or --on-conflict=replace (Home Assistant's take their place)\n",
        );
      }
      expect(await dump()).toEqual(before);
    });

    it("--on-conflict=keep imports the rest and leaves the store's records as they are; a second run writes nothing", async (context) => {
      const { expect } = context;
      const { cliStore, importHa, dump } = setUp(kind, context);
      const owner = await withStore(cliStore, seedOwnerNamedAlice);
      const kept = await importHa('--on-conflict=keep');
      expect({ code: kept.code, stderr: kept.stderr }).toEqual({ code: 0, stderr: '' });
      expect(lines(kept.stdout)).toContain(`  new       user          ${HA.alice.id} "Alice" (owner, system-admin), imported as a plain user: the store has its owner`);
      expect(lines(kept.stdout).slice(-3)).toEqual(['', 'Imported: 13 records written; 3 conflicts left as the store has them.', '']);
      await withStore(cliStore, async (store) => {
        expect(await store.users.getUser(owner.id)).toEqual(owner);
        expect(await store.users.getUser(HA.alice.id)).toMatchObject({ name: 'Alice', isOwner: false });
        expect((await store.users.findCredential('homeassistant', null, 'alice'))?.userId).toBe(owner.id);
        expect(await verifyPassword('the password here', (await store.users.getPassword('alice'))?.passwordHash ?? '')).toBe(true);
        // Alice's sessions and TOTP secret still come along: they conflict with nothing.
        expect(await store.refreshTokens.load(HA.tokens.aliceLongLived)).not.toBeNull();
        expect(await store.mfa.getSecret('totp', HA.alice.id)).toBe(HA.totpSecret);
      });
      const after = await dump();
      const again = await importHa('--on-conflict=keep');
      expect(again.code).toBe(0);
      expect(lines(again.stdout).slice(-2)).toEqual(['Nothing to import: everything is present already; 4 conflicts left as the store has them.', '']);
      expect(await dump()).toEqual(after);
    });

    it("--on-conflict=replace puts Home Assistant's records in their place; a second run finds no conflict", async (context) => {
      const { expect } = context;
      const { cliStore, importHa, dump } = setUp(kind, context);
      const owner = await withStore(cliStore, seedOwnerNamedAlice);
      const replaced = await importHa('--on-conflict=replace');
      expect({ code: replaced.code, stderr: replaced.stderr }).toEqual({ code: 0, stderr: '' });
      expect(lines(replaced.stdout).slice(-3)).toEqual(['', 'Imported: 16 records written.', '']);
      await withStore(cliStore, async (store) => {
        expect(await store.users.getUser(owner.id)).toEqual({ ...owner, isOwner: false });
        expect(await store.users.getUser(HA.alice.id)).toMatchObject({ name: 'Alice', isOwner: true });
        expect((await store.users.findCredential('homeassistant', null, 'alice'))?.userId).toBe(HA.alice.id);
        expect(await store.users.getCredential('c1'.repeat(16))).toBeNull();
        expect(await verifyPassword(HA.alice.password, (await store.users.getPassword('alice'))?.passwordHash ?? '')).toBe(true);
      });
      const after = await dump();
      const again = await importHa();
      expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
      expect(lines(again.stdout).slice(-2)).toEqual(['Nothing to import: everything is present already.', '']);
      expect(await dump()).toEqual(after);
    });

    const storage = (dir: string, key: string) => join(dir, '.storage', key);
    it.for([
      {
        name: 'a missing .storage/auth',
        breakIt: (dir: string) => rmSync(storage(dir, 'auth')),
        problems: (dir: string) => [`${storage(dir, 'auth')}: missing: Home Assistant writes it when it is onboarded`],
      },
      {
        name: 'an unknown storage version',
        breakIt: (dir: string) => editStorage(dir, 'auth_module.totp', (file) => (file.version = 2)),
        problems: (dir: string) => [
          `${storage(dir, 'auth_module.totp')}: version: unknown storage version 2; this import reads version 1, minor version 1 (every release of Home Assistant so far)`,
        ],
      },
      {
        name: 'an unknown minor version',
        breakIt: (dir: string) => editStorage(dir, 'auth', (file) => (file.minor_version = 3)),
        problems: (dir: string) => [
          `${storage(dir, 'auth')}: minor_version: unknown storage minor version 3; this import reads version 1, minor version 1 (every release of Home Assistant so far)`,
        ],
      },
      {
        name: 'truncated JSON',
        breakIt: (dir: string) => {
          const text = JSON.stringify(readFixture('auth_module.totp', dir), null, 2);
          writeStorage(dir, 'auth_module.totp', text.slice(0, 60));
        },
        problems: (dir: string) => [expectMatching(`${storage(dir, 'auth_module.totp')}: is not valid JSON (`, '); is the file truncated?')],
      },
      {
        name: 'a username that is not normalized',
        breakIt: (dir: string) =>
          editStorage(dir, 'auth_provider.homeassistant', (file) => {
            const users = file.data.users as Array<Record<string, unknown>>;
            users[1] = { ...users[1], username: 'Bob ' };
          }),
        problems: (dir: string) => [
          `${storage(dir, 'auth_provider.homeassistant')}: data.users[1].username: username "Bob " is not normalized (it would be "bob"); ` +
            "Home Assistant's legacy mode for such names ends in 2026.7: rename it in Home Assistant (Settings → People, or the repair it shows) and import again",
        ],
      },
      {
        name: 'several problems in several files',
        breakIt: (dir: string) => {
          editStorage(dir, 'auth', (file) => {
            const users = file.data.users as Array<Record<string, unknown>>;
            const credentials = file.data.credentials as Array<Record<string, unknown>>;
            users[3] = { ...users[3], is_active: 'yes' };
            credentials[1] = { ...credentials[1], user_id: 'nobody' };
          });
          writeStorage(dir, 'auth_module.totp', '');
        },
        problems: (dir: string) => [
          `${storage(dir, 'auth')}: data.users[3].is_active: expected true or false, found "yes"`,
          `${storage(dir, 'auth')}: data.credentials[1].user_id: no user "nobody" in data.users`,
          expectMatching(`${storage(dir, 'auth_module.totp')}: is not valid JSON (`, '); the file is empty'),
        ],
      },
    ])('refuses $name: every problem names file and field, and the store stays untouched', async ({ breakIt, problems }, context) => {
      const { expect } = context;
      const { cliStore, dir, importHa, dump } = setUp(kind, context);
      await withStore(cliStore, seedOwnerNamedAlice);
      breakIt(dir);
      const before = await dump();
      // Even when told to replace whatever conflicts.
      for (const options of [['--on-conflict=replace'], ['--dry-run']]) {
        const result = await importHa(...options);
        const expected = problems(dir);
        const summary = `import-ha: ${expected.length} problem${expected.length === 1 ? '' : 's'} in Home Assistant's files; nothing was written`;
        expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
        expect(lines(result.stderr)).toEqual([...[...expected, summary].map((line) => (typeof line === 'string' ? `hass-auth: ${line}` : line)), '']);
      }
      expect(await dump()).toEqual(before);
    });
  });
}

/** A line with this start and end, whatever Node's JSON parser says in between. */
function expectMatching(start: string, end: string): unknown {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return expect.stringMatching(new RegExp(`^hass-auth: ${escape(start)}.+${escape(end)}$`));
}

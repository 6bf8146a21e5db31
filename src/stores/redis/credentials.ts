/**
 * Credentials: the logins linked to a user (Home Assistant keeps them inside the user record). A
 * login is unique per (provider type, provider id, lookup key): its lookup key `cred:…` is created
 * with the credential, in one script, only when neither the id nor the lookup key exists, and an
 * update moves it in one script too, so no instance sees a credential under two logins or none.
 * A `homeassistant` login added or renamed goes with its password entry, in one script as well.
 */
import type { LoginAdd, LoginRename, UserStore } from '../types.js';
import type { Credential } from '../../domain/models.js';
import { decodeCredential } from './codec.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';
import {
  LOGIN_ADDED, LOGIN_CREDENTIAL_TAKEN, LOGIN_MISSING, LOGIN_RENAMED, LOGIN_TAKEN, LOGIN_USERNAME_TAKEN, NO_SUCH_USER, OTHER_USER_OR_PROVIDER,
} from './scripts/credential-scripts.js';
import { UnexpectedReplyError } from './scripts/define.js';

type CredentialRecords = Pick<
  UserStore,
  'addCredential' | 'findCredential' | 'getCredential' | 'listCredentials' | 'removeCredential' | 'updateCredential' | 'renameLogin' | 'addLogin'
>;

const RENAMES = new Map<number, LoginRename>([[LOGIN_RENAMED, 'renamed'], [LOGIN_TAKEN, 'taken'], [LOGIN_MISSING, 'missing']]);
const ADDS = new Map<number, LoginAdd>([[LOGIN_ADDED, 'added'], [LOGIN_USERNAME_TAKEN, 'username_taken'], [LOGIN_CREDENTIAL_TAKEN, 'credential_taken']]);

/** A credential never moves to another user or provider: asking for it is the caller's bug. */
const movedElsewhere = (operation: string, credential: Credential) =>
  new Error(`${operation}: credential ${credential.id} cannot move to another user or provider`);

export function redisCredentials(run: Run, keys: RedisKeys): CredentialRecords {
  const lookupSuffix = (c: Pick<Credential, 'authProviderType' | 'authProviderId' | 'lookupKey'>) =>
    keys.credentialLookupSuffix(c.authProviderType, c.authProviderId, c.lookupKey);
  /** credentialUpdate's keys and arguments (scripts/credential-scripts.ts), which loginRename takes after its own. */
  const credentialUpdate = (credential: Credential) => {
    const suffix = lookupSuffix(credential);
    const providerPart = lookupSuffix({ ...credential, lookupKey: '' });
    return {
      keys: [keys.credential(credential.id), keys.directory + suffix],
      args: [credential.id, JSON.stringify(credential), credential.userId, suffix, keys.directory, providerPart],
    };
  };
  /** credentialAdd's keys and arguments, which loginAdd takes after its own. */
  const credentialAdd = (credential: Credential) => {
    const suffix = lookupSuffix(credential);
    return {
      keys: [keys.credential(credential.id), keys.directory + suffix, keys.userCredentials(credential.userId), keys.users],
      args: [credential.id, JSON.stringify(credential), credential.userId, suffix],
    };
  };
  // A credential is always linked to a user: like the embedded store's foreign key, an unknown
  // user is the caller's bug and rejects rather than reading as "taken".
  const noSuchUser = (operation: string, credential: Credential) => new Error(`${operation}: no user ${credential.userId}`);
  return {
    addCredential: async (credential) => {
      const add = credentialAdd(credential);
      const reply = await run.write('users.addCredential', (client) => client.credentialAdd(add.keys, add.args));
      if (reply === NO_SUCH_USER) throw noSuchUser('addCredential', credential);
      return reply === 1;
    },
    addLogin: async ({ username, passwordHash }, credential) => {
      const add = credentialAdd(credential);
      const scriptKeys = [keys.passwords, ...add.keys];
      const reply = await run.write('users.addLogin', (client) => client.loginAdd(scriptKeys, [username, passwordHash, ...add.args, keys.stems.credential]));
      if (reply === NO_SUCH_USER) throw noSuchUser('addLogin', credential);
      const added = ADDS.get(reply);
      if (added === undefined) throw new UnexpectedReplyError('login add', reply);
      return added;
    },
    findCredential: async (authProviderType, authProviderId, lookupKey) => {
      const lookup = keys.directory + lookupSuffix({ authProviderType, authProviderId, lookupKey });
      const text = await run('users.findCredential', (client) => client.credentialFind([lookup], [keys.stems.credential]));
      return text === null ? null : decodeCredential(text);
    },
    getCredential: async (id) => {
      const text = await run('users.getCredential', (client) => client.hGet(keys.credential(id), 'json'));
      return text === null ? null : decodeCredential(text);
    },
    listCredentials: async (userId) => {
      const texts = await run('users.listCredentials', (client) =>
        client.credentialList([keys.userCredentials(userId)], [keys.stems.credential]),
      );
      return texts.map(decodeCredential);
    },
    removeCredential: async (id) => {
      const args = [id, keys.directory, keys.stems.credential, keys.stems.userCredentials];
      await run.write('users.removeCredential', (client) => client.credentialRemove([keys.credential(id)], args));
    },
    updateCredential: async (credential) => {
      const update = credentialUpdate(credential);
      const reply = await run.write('users.updateCredential', (client) => client.credentialUpdate(update.keys, update.args));
      if (reply === OTHER_USER_OR_PROVIDER) throw movedElsewhere('updateCredential', credential);
      return reply === 1;
    },
    // The passwords hash, the credential and its logins are all the directory's (one slot on a cluster).
    renameLogin: async (from, to, credential) => {
      const update = credential === undefined ? { keys: [], args: [] } : credentialUpdate(credential);
      const reply = await run.write('users.renameLogin', (client) => client.loginRename([keys.passwords, ...update.keys], [from, to, ...update.args]));
      if (reply === OTHER_USER_OR_PROVIDER && credential !== undefined) throw movedElsewhere('renameLogin', credential);
      const renamed = RENAMES.get(reply);
      if (renamed === undefined) throw new UnexpectedReplyError('login rename', reply);
      return renamed;
    },
  };
}

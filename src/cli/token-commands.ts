/**
 * `hass-auth token …`: the refresh tokens (login sessions and long-lived access tokens) of the
 * users, and their revocation. Not part of Home Assistant's script; its printed words follow it
 * (`User not found`), and a "not found" is a printed result with exit code 0, as there.
 */
import { normalizeUsername } from '../services/providers/password-store.js';
import type { CliCommand, CliContext } from './command.js';
import { allTokenOwners, byCreation, tokenLine, type TokenOwner } from './token-lines.js';

/**
 * The user that logs in with `username` (its credential holds the normalized name, as the login
 * flow stores it); an empty list for a username that has not logged in yet; null for no such login.
 */
async function ownersNamed({ store, provider }: CliContext, username: string): Promise<TokenOwner[] | null> {
  const wanted = normalizeUsername(username);
  const credential = await store.users.findCredential('homeassistant', null, wanted);
  if (credential !== null) return [{ userId: credential.userId, label: wanted }];
  const known = (await provider.listUsernames()).some((name) => normalizeUsername(name) === wanted);
  return known ? [] : null;
}

const listTokens: CliCommand = {
  words: ['token', 'list'],
  args: ['[USERNAME]'],
  summary: "print one user's live refresh tokens, or everyone's (username first)",
  async run(context, [username]) {
    const owners = username === undefined ? await allTokenOwners(context.store.users) : await ownersNamed(context, username);
    if (owners === null) {
      context.out('User not found');
      return;
    }
    let count = 0;
    for (const owner of owners) {
      for (const token of byCreation(await context.refreshTokens.listForUser(owner.userId))) {
        context.out(username === undefined ? `${owner.label}\t${tokenLine(token)}` : tokenLine(token));
        count += 1;
      }
    }
    context.out('');
    context.out(`Total tokens: ${count}`);
  },
};

/** True when `id` is a live token of some user (listForUser also ends the ones found expired). */
async function isLiveToken({ store, refreshTokens }: CliContext, id: string): Promise<boolean> {
  for (const user of await store.users.listUsers()) {
    if ((await refreshTokens.listForUser(user.id)).some((token) => token.id === id)) return true;
  }
  return false;
}

/**
 * Revokes through the service, which publishes the end on the revocation bus: on Redis every
 * running instance closes the sockets authenticated with the token and drops it from its caches.
 */
const revokeToken: CliCommand = {
  words: ['token', 'revoke'],
  args: ['ID'],
  summary: 'end a refresh token and every access token it minted',
  async run(context, [id = '']) {
    if (!(await isLiveToken(context, id))) {
      context.out('Token not found');
      return;
    }
    await context.refreshTokens.revoke(id, 'revoked');
    context.out('Token revoked');
  },
};

export const tokenCommands: CliCommand[] = [listTokens, revokeToken];

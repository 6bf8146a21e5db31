/**
 * `hass-auth user …`: Home Assistant's `hass --script auth` (homeassistant/scripts/auth.py,
 * ha-auth-spec §14.8), word for word, over the `homeassistant` provider's password entries.
 *
 * As in HA, `add` creates only the username/password entry, not a User: the first login with it
 * creates a non-owner admin user (§9.1), so onboarding still expects an owner. Every result,
 * found or not, is a printed line and exit code 0, as HA's script does.
 */
import { isCoded } from '../domain/errors.js';
import type { CliCommand } from './command.js';

/** HA's `list`: each username, a blank line, then `Total users: N`, in the store's order. */
const listUsers: CliCommand = {
  words: ['user', 'list'],
  args: [],
  summary: 'print every username, then the total',
  async run({ provider, out }) {
    const usernames = await provider.listUsernames();
    for (const username of usernames) out(username);
    out('');
    out(`Total users: ${usernames.length}`);
  },
};

/** HA's `add`: any InvalidUser (a taken name, or one that is not normalized) reads "Username already exists!". */
const addUser: CliCommand = {
  words: ['user', 'add'],
  args: ['USERNAME', 'PASSWORD'],
  summary: 'create a login (no user until its first login)',
  async run({ provider, out }, [username = '', password = '']) {
    try {
      await provider.addAuth(username, password);
    } catch (error) {
      if (!isCoded(error, 'username_already_exists', 'username_not_normalized')) throw error;
      out('Username already exists!');
      return;
    }
    out('Auth created');
  },
};

const validateUser: CliCommand = {
  words: ['user', 'validate'],
  args: ['USERNAME', 'PASSWORD'],
  summary: 'check a password',
  async run({ provider, out }, [username = '', password = '']) {
    out((await provider.validateLogin(username, password)) ? 'Auth valid' : 'Auth invalid');
  },
};

const changePassword: CliCommand = {
  words: ['user', 'change-password'],
  args: ['USERNAME', 'NEW_PASSWORD'],
  summary: 'set a new password',
  async run({ provider, out }, [username = '', newPassword = '']) {
    try {
      await provider.changePassword(username, newPassword);
    } catch (error) {
      if (!isCoded(error, 'username_not_found')) throw error;
      out('User not found');
      return;
    }
    out('Password changed');
  },
};

export const userCommands: CliCommand[] = [listUsers, addUser, validateUser, changePassword];

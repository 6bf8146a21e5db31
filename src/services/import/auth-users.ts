/**
 * Users, groups and credentials of `.storage/auth` (homeassistant/auth/auth_store.py `_async_load_task`,
 * ha-auth-spec §9.1, §17), with Home Assistant's load rules:
 *
 * - Groups: the three system groups always exist. Files from before groups had policies ("state 1":
 *   one group without a policy) put that group's members in `system-admin`; files from before groups
 *   existed ("state 2": no groups at all) put every non-system user in `system-admin`.
 * - `local_only` absent (before 2021.11) is false; `group_ids` absent is none.
 *
 * What Home Assistant would crash on (a missing key, a group or user that does not exist) is a
 * problem. Beyond it: a second owner and a login that two credentials claim are problems too, since
 * the store keeps one of each. Custom groups (with a policy) cannot be carried, as this service knows
 * only the system groups: their memberships are left out, with a note.
 */
import type { Credential } from '../../domain/models.js';
import { normalizeUsername } from '../providers/password-store.js';
import { GROUP_ID_ADMIN, GROUP_ID_READ_ONLY, GROUP_ID_USER } from '../users/users.js';
import type { ImportedUser } from './ha-records.js';
import { fieldAt, type FieldReader, type JsonObject } from './input-problems.js';

const SYSTEM_GROUPS = new Set([GROUP_ID_ADMIN, GROUP_ID_USER, GROUP_ID_READ_ONLY]);

interface Groups {
  /** Custom groups (with a policy), by id, and their names. */
  custom: Map<string, string>;
  /** The id of a group without a policy, whose members become admins ("state 1"). */
  withoutPolicy: string | null;
  /** True when the file has no group at all ("state 2"). */
  everyoneAdmin: boolean;
}

function readGroups(root: JsonObject, reader: FieldReader): Groups {
  const custom = new Map<string, string>();
  let withoutPolicy: string | null = null;
  let withPolicy = 0;
  const listed = root.groups === undefined ? [] : reader.array(root.groups, 'data.groups');
  listed.forEach((value, index) => {
    const field = fieldAt('data.groups', index);
    const group = reader.object(value, field);
    const id = reader.string(group.id, fieldAt(field, 'id'));
    if (SYSTEM_GROUPS.has(id)) {
      withPolicy += 1;
      return;
    }
    const name = reader.string(group.name, fieldAt(field, 'name'));
    if (group.policy === undefined || group.policy === null) withoutPolicy = id;
    else {
      withPolicy += 1;
      custom.set(id, name);
    }
  });
  // Home Assistant migrates the members of a policy-less group only when it is the file's only group.
  return { custom, withoutPolicy: withPolicy === 0 ? withoutPolicy : null, everyoneAdmin: withPolicy === 0 && withoutPolicy === null };
}

function readGroupIds(user: JsonObject, field: string, groups: Groups, reader: FieldReader): string[] {
  const listed = user.group_ids === undefined ? [] : reader.stringList(user.group_ids, fieldAt(field, 'group_ids'));
  const groupIds: string[] = [];
  listed.forEach((listedId, index) => {
    const groupId = listedId === groups.withoutPolicy ? GROUP_ID_ADMIN : listedId;
    if (SYSTEM_GROUPS.has(groupId)) groupIds.push(groupId);
    else if (groups.custom.has(groupId)) {
      reader.note(fieldAt(fieldAt(field, 'group_ids'), index), `custom group "${groupId}" (${groups.custom.get(groupId)}) left out: this service has only the system groups`);
    } else if (listedId !== '') reader.problem(fieldAt(fieldAt(field, 'group_ids'), index), `no group "${listedId}" in data.groups`);
  });
  return groupIds;
}

function readUser(value: unknown, field: string, groups: Groups, reader: FieldReader): ImportedUser {
  const user = reader.object(value, field);
  const at = (key: string) => fieldAt(field, key);
  // In the order Home Assistant writes the fields, so that problems come in the file's order.
  const id = reader.string(user.id, at('id'));
  const groupIds = readGroupIds(user, field, groups, reader);
  const isOwner = reader.boolean(user.is_owner, at('is_owner'));
  const isActive = reader.boolean(user.is_active, at('is_active'));
  const name = reader.nullableString(user.name, at('name'));
  const systemGenerated = reader.boolean(user.system_generated, at('system_generated'));
  const localOnly = user.local_only === undefined ? false : reader.boolean(user.local_only, at('local_only'));
  if (groups.everyoneAdmin && !systemGenerated && !groupIds.includes(GROUP_ID_ADMIN)) groupIds.push(GROUP_ID_ADMIN);
  return { id, name, isOwner, isActive, systemGenerated, localOnly, groupIds };
}

/** The first field where each key was seen, to name both places of a duplicate. */
function firstSeen(reader: FieldReader) {
  const seen = new Map<string, string>();
  return (key: string, field: string, problem: (first: string) => string) => {
    const first = seen.get(key);
    if (first === undefined) seen.set(key, field);
    else reader.problem(field, problem(first));
  };
}

export function readUsers(root: JsonObject, reader: FieldReader): ImportedUser[] {
  const groups = readGroups(root, reader);
  const unique = firstSeen(reader);
  return reader.array(root.users, 'data.users').map((value, index) => {
    const field = fieldAt('data.users', index);
    const user = readUser(value, field, groups, reader);
    unique(`id:${user.id}`, fieldAt(field, 'id'), (first) => `"${user.id}" is the id of ${first.slice(0, -'.id'.length)} already`);
    if (user.isOwner) unique('owner', fieldAt(field, 'is_owner'), (first) => `a second owner (${first} is one): there is one owner`);
    return user;
  });
}

/** What identifies a login to its provider (types.ts `Credential.lookupKey`). */
function lookupKeyOf(credential: Omit<Credential, 'lookupKey'>, field: string, reader: FieldReader): string {
  const { authProviderType: type, data } = credential;
  const dataField = fieldAt(field, 'data');
  if (type === 'homeassistant' || type === 'command_line') {
    const username = reader.string(data.username, fieldAt(dataField, 'username'));
    if (type === 'homeassistant' && username !== '' && normalizeUsername(username) !== username) {
      reader.problem(fieldAt(dataField, 'username'), notNormalized(username));
    }
    return username;
  }
  if (type === 'trusted_networks') return reader.string(data.user_id, fieldAt(dataField, 'user_id'));
  return data.username ?? data.user_id ?? credential.id;
}

/** The words for a username that Home Assistant's normal mode would not accept (ha-auth-spec §14.1). */
export function notNormalized(username: string): string {
  return (
    `username ${JSON.stringify(username)} is not normalized (it would be ${JSON.stringify(normalizeUsername(username))}); ` +
    "Home Assistant's legacy mode for such names ends in 2026.7: rename it in Home Assistant " +
    '(Settings → People, or the repair it shows) and import again'
  );
}

export function readCredentials(root: JsonObject, users: ImportedUser[], reader: FieldReader): Credential[] {
  const userIds = new Set(users.map((user) => user.id));
  const unique = firstSeen(reader);
  return reader.array(root.credentials, 'data.credentials').map((value, index) => {
    const field = fieldAt('data.credentials', index);
    const at = (key: string) => fieldAt(field, key);
    const stored = reader.object(value, field);
    const userId = reader.string(stored.user_id, at('user_id'));
    if (userId !== '' && !userIds.has(userId)) reader.problem(at('user_id'), `no user "${userId}" in data.users`);
    const partial = {
      id: reader.string(stored.id, at('id')),
      userId,
      authProviderType: reader.string(stored.auth_provider_type, at('auth_provider_type')),
      authProviderId: reader.nullableString(stored.auth_provider_id, at('auth_provider_id')),
      data: reader.stringMap(stored.data, at('data')),
    };
    const credential = { ...partial, lookupKey: lookupKeyOf(partial, field, reader) };
    unique(`id:${credential.id}`, at('id'), (first) => `"${credential.id}" is the id of ${first.slice(0, -'.id'.length)} already`);
    const login = JSON.stringify([credential.authProviderType, credential.authProviderId, credential.lookupKey]);
    unique(`login:${login}`, at('data'), (first) => `the ${credential.authProviderType} login "${credential.lookupKey}" of ${first.slice(0, -'.data'.length)} again`);
    return credential;
  });
}

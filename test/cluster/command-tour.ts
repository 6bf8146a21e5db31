/**
 * Every WebSocket command once, as the owner, over two sockets held by different instances behind
 * the balancer: what one instance writes (a token, a user, an MFA setup flow) the other reads,
 * changes or ends. Each answer is checked for its shape and effect (the command suites under
 * test/ws/ check every detail against one instance); the tour records which types it sent, so that
 * a command registered but left out of it fails the test that compares.
 *
 * bcrypt runs at its real cost: the tour hashes three passwords and checks one.
 */
import { expect } from 'vitest';
import { issuerOf } from '../http/token-client.js';
import { totpAt, type SetupForm } from '../support/mfa.js';
import type { Message, TestSocket } from '../support/ws-client.js';
import { getWithBearer, type Instance } from './instances.js';

type Target = Pick<Instance, 'baseUrl'>;

export interface TourSetting {
  /** The balancer, for the requests that show a command's effect over HTTP. */
  balancer: Target;
  /** Two sockets of the owner, on two instances, ... */
  sockets: readonly [TestSocket, TestSocket];
  /** ... opened with this access token. */
  ownerAccessToken: string;
  ownerPassword: string;
  newOwnerPassword: string;
}

const PROVIDER = 'config/auth_provider/homeassistant';

/** Sends commands and remembers their types. */
class Tour {
  readonly exercised = new Set<string>();

  /** The whole answer (for `ping`, whose answer is no `result`). */
  command(socket: TestSocket, message: Message): Promise<Message> {
    this.exercised.add(String(message.type));
    return socket.command(message);
  }

  /** The `result` of a command that must succeed. */
  result(socket: TestSocket, message: Message): Promise<unknown> {
    this.exercised.add(String(message.type));
    return socket.result(message);
  }
}

async function apiStatus(balancer: Target, accessToken: string): Promise<number> {
  const response = await getWithBearer(balancer, '/api/', accessToken);
  await response.arrayBuffer();
  return response.status;
}

async function framing(tour: Tour, [one]: TourSetting['sockets']): Promise<void> {
  expect(await tour.command(one, { type: 'ping' })).toMatchObject({ type: 'pong' });
  expect(await tour.result(one, { type: 'supported_features', features: { coalesce_messages: 1 } })).toBeNull();
}

async function session(tour: Tour, { balancer, sockets: [one] }: TourSetting): Promise<void> {
  expect(await tour.result(one, { type: 'auth/current_user' })).toMatchObject({
    name: 'Alice',
    is_owner: true,
    is_admin: true,
    credentials: [{ auth_provider_type: 'homeassistant', auth_provider_id: null }],
  });
  const { path } = (await tour.result(one, { type: 'auth/sign_path', path: '/api/' })) as { path: string };
  expect(path).toMatch(/^\/api\/\?authSig=[\w-]+\.[\w-]+\.[\w-]+$/);
  const signed = await fetch(`${balancer.baseUrl}${path}`);
  expect([signed.status, await signed.json()]).toEqual([200, { message: 'API running.' }]);
}

async function tokens(tour: Tour, { balancer, sockets: [one, two] }: TourSetting): Promise<void> {
  const longLived = (await tour.result(one, { type: 'auth/long_lived_access_token', client_name: 'tour', lifespan: 1 })) as string;
  expect(await apiStatus(balancer, longLived)).toBe(200);
  const listed = (await tour.result(two, { type: 'auth/refresh_tokens' })) as Array<Record<string, unknown>>;
  expect(listed).toContainEqual(expect.objectContaining({ id: issuerOf(longLived), type: 'long_lived_access_token', client_name: 'tour' }));
  expect(await tour.result(two, { type: 'auth/refresh_token_set_expiry', refresh_token_id: issuerOf(longLived), enable_expiry: false })).toEqual({});
  expect(await tour.result(two, { type: 'auth/delete_refresh_token', refresh_token_id: issuerOf(longLived) })).toEqual({});
  expect(await apiStatus(balancer, longLived)).toBe(401);

  const another = (await tour.result(one, { type: 'auth/long_lived_access_token', client_name: 'tour 2', lifespan: 1 })) as string;
  const deleteAll = { type: 'auth/delete_all_refresh_tokens', token_type: 'long_lived_access_token', delete_current_token: false };
  expect(await tour.result(two, deleteAll)).toEqual({});
  expect(await apiStatus(balancer, another)).toBe(401);
}

async function users(tour: Tour, { sockets: [one, two] }: TourSetting): Promise<void> {
  expect(await tour.result(one, { type: 'config/auth/list' })).toContainEqual(expect.objectContaining({ name: 'Alice', is_owner: true }));
  const { user } = (await tour.result(one, { type: 'config/auth/create', name: 'Bob' })) as { user: { id: string } };
  expect(await tour.result(two, { type: `${PROVIDER}/create`, user_id: user.id, username: 'bob', password: 'bob password' })).toBeNull();
  expect(await tour.result(one, { type: 'config/auth/update', user_id: user.id, name: 'Robert' })).toMatchObject({ user: { name: 'Robert', username: 'bob' } });
  expect(await tour.result(two, { type: `${PROVIDER}/admin_change_username`, user_id: user.id, username: 'robert' })).toBeNull();
  expect(await tour.result(one, { type: `${PROVIDER}/admin_change_password`, user_id: user.id, password: 'another password' })).toBeNull();
  expect(await tour.result(two, { type: 'config/auth/list' })).toContainEqual(expect.objectContaining({ id: user.id, name: 'Robert', username: 'robert' }));
  expect(await tour.result(one, { type: `${PROVIDER}/delete`, username: 'robert' })).toBeNull();
  expect(await tour.result(two, { type: 'config/auth/delete', user_id: user.id })).toBeNull();
  const remaining = (await tour.result(one, { type: 'config/auth/list' })) as Array<{ id: string }>;
  expect(remaining.map(({ id }) => id)).not.toContain(user.id);
}

async function mfa(tour: Tour, { sockets: [one, two] }: TourSetting): Promise<void> {
  // Started on one instance, finished on the other: the setup flow lives in the store.
  const form = (await tour.result(one, { type: 'auth/setup_mfa', mfa_module_id: 'totp' })) as SetupForm;
  const code = totpAt(form.description_placeholders.code, Date.now());
  const entry = await tour.result(two, { type: 'auth/setup_mfa', flow_id: form.flow_id, user_input: { code } });
  expect(entry).toMatchObject({ type: 'create_entry', flow_id: form.flow_id });
  const enabled = { mfa_modules: [{ id: 'totp', name: 'Authenticator app', enabled: true }] };
  expect(await one.result({ type: 'auth/current_user' })).toMatchObject(enabled);
  expect(await tour.result(two, { type: 'auth/depose_mfa', mfa_module_id: 'totp' })).toBe('done');
  expect(await one.result({ type: 'auth/current_user' })).toMatchObject({ mfa_modules: [{ id: 'totp', enabled: false }] });
}

async function inspection(tour: Tour, { sockets: [one, two], ownerAccessToken }: TourSetting): Promise<void> {
  const { machines } = (await tour.result(one, { type: 'inspect/machines' })) as { machines: Array<{ name: string }> };
  expect(machines.map(({ name }) => name)).toEqual(['loginGrant', 'refreshToken', 'loginFlow', 'mfaSetupFlow']);
  const { counts } = (await tour.result(two, { type: 'inspect/counts' })) as { counts: Record<string, Record<string, number>> };
  expect(counts.refreshToken?.issued).toBeGreaterThan(0);
  const found = await tour.result(one, { type: 'inspect/record', record_id: issuerOf(ownerAccessToken) });
  expect(found).toMatchObject({ record: { machine: 'refreshToken', id: issuerOf(ownerAccessToken), state: 'issued' } });
  const user = (await tour.result(two, { type: 'inspect/user', user: 'alice' })) as { user: unknown; refresh_tokens: unknown[] };
  expect(user.user).toMatchObject({ name: 'Alice', username: 'alice', is_owner: true });
  expect(user.refresh_tokens).toContainEqual(expect.objectContaining({ id: issuerOf(ownerAccessToken), state: 'issued' }));

  const subscribed = await tour.command(two, { type: 'inspect/subscribe' });
  expect(subscribed).toMatchObject({ type: 'result', success: true, result: null });
  expect(await two.next()).toMatchObject({ id: subscribed.id, type: 'event', event: { counts: { refreshToken: {} } } });
  expect(await tour.result(two, { type: 'unsubscribe_events', subscription: subscribed.id })).toBeNull();

  // Transitions written on one instance reach a watcher on the other. An instance whose last notice
  // reached nobody stays quiet for a second before it tries again (observability/transition-feed.ts),
  // so the write is repeated until a notice arrives.
  const watching = await tour.command(two, { type: 'inspect/subscribe_transitions' });
  expect(watching).toMatchObject({ type: 'result', success: true, result: null });
  const tokenId = issuerOf(ownerAccessToken);
  const notice = { id: watching.id, type: 'event', event: { machine: 'refreshToken', record_id: tokenId, event: 'SET_EXPIRY', from: 'issued', to: 'issued' } };
  let heard: Message | undefined;
  for (let attempt = 1; heard === undefined && attempt <= 5; attempt += 1) {
    for (const enable_expiry of [false, true]) expect(await one.result({ type: 'auth/refresh_token_set_expiry', refresh_token_id: tokenId, enable_expiry })).toEqual({});
    heard = await two.next(1_500).catch(() => undefined);
  }
  expect(heard).toMatchObject(notice);
  const { reply, events } = await two.commandPast({ type: 'unsubscribe_events', subscription: watching.id });
  expect(reply).toMatchObject({ type: 'result', success: true, result: null });
  for (const event of events) expect(event).toMatchObject(notice);
}

/** Runs every command; returns the types it sent. The owner's password is `newOwnerPassword` afterwards. */
export async function tourEveryCommand(setting: TourSetting): Promise<Set<string>> {
  const tour = new Tour();
  await framing(tour, setting.sockets);
  await session(tour, setting);
  await tokens(tour, setting);
  await users(tour, setting);
  await mfa(tour, setting);
  await inspection(tour, setting);
  const change = { type: `${PROVIDER}/change_password`, current_password: setting.ownerPassword, new_password: setting.newOwnerPassword };
  expect(await tour.result(setting.sockets[1], change)).toBeNull();
  return tour.exercised;
}

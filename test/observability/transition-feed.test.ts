/**
 * The live feed's notices (observability/transition-feed.ts) keep only their listed fields, whatever
 * secrets the event and the snapshots carry; nothing is built while nobody watches. On Redis
 * (stores/redis/transition-channel.ts) an instance stops publishing for a while once a publish
 * reached nobody, and a message is rebuilt field by field on arrival.
 */
import { describe, expect, it, vi } from 'vitest';
import { transitionFeed } from '../../src/observability/transition-feed.js';
import type { ObservedSnapshot } from '../../src/runtime/observers.js';
import { parseTransitionNotice, QUIET_MS, RedisTransitionChannel } from '../../src/stores/redis/transition-channel.js';
import type { RedisConnection } from '../../src/stores/redis/connection.js';
import type { Run } from '../../src/stores/redis/guard.js';
import type { TransitionChannel, TransitionNotice } from '../../src/stores/types.js';

const SECRETS = {
  code: 'c0de'.repeat(8),
  tokenHash: 'ab'.repeat(32),
  password: 'correct horse battery staple',
  jwtKey: 'jwt-key-'.repeat(8),
  secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
};
const KEYS = ['at', 'event', 'from', 'instance', 'machine', 'recordId', 'to'];

/** A snapshot whose context holds every kind of secret, as a refresh token's, a grant's or an MFA flow's would. */
const snapshot = (value: string): ObservedSnapshot => ({
  value,
  status: 'active',
  context: { ...SECRETS, credential: { data: { username: 'alice', password: SECRETS.password } }, userId: 'u1' },
});

function recordingChannel(wanted: boolean): TransitionChannel & { sent: TransitionNotice[] } {
  const sent: TransitionNotice[] = [];
  return { sent, wanted: () => wanted, publish: (notice) => void sent.push(notice), watch: () => () => undefined };
}

describe('transition feed', () => {
  it('publishes only the listed fields of a creation and a transition, never a secret', () => {
    const channel = recordingChannel(true);
    const feed = transitionFeed(channel, 'host/1', () => 1_700_000_000_000);
    feed.created('mfaSetupFlow', 'flow1', snapshot('awaiting_code'));
    const event = { type: 'SUBMIT_CODE', now: 5, code: SECRETS.code, proof: SECRETS.code, input: { password: SECRETS.password }, jwtKey: SECRETS.jwtKey };
    feed.transitioned('mfaSetupFlow', 'flow1', event, snapshot('confirmed'), snapshot('awaiting_code'));
    expect(channel.sent).toEqual([
      { machine: 'mfaSetupFlow', recordId: 'flow1', event: 'create', from: null, to: 'awaiting_code', instance: 'host/1', at: 1_700_000_000_000 },
      { machine: 'mfaSetupFlow', recordId: 'flow1', event: 'SUBMIT_CODE', from: 'awaiting_code', to: 'confirmed', instance: 'host/1', at: 1_700_000_000_000 },
    ]);
    for (const notice of channel.sent) expect(Object.keys(notice).sort()).toEqual(KEYS);
    const text = JSON.stringify(channel.sent);
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  });

  it('builds and publishes nothing while nobody watches', () => {
    const channel = recordingChannel(false);
    const feed = transitionFeed(channel, 'host/1', () => 0);
    feed.created('loginFlow', 'f', snapshot('credentials'));
    feed.transitioned('loginFlow', 'f', { type: 'ABORT' }, snapshot('aborted'), snapshot('credentials'));
    expect(channel.sent).toEqual([]);
  });
});

describe('transition channel on Redis', () => {
  const notice: TransitionNotice = { machine: 'loginGrant', recordId: 'r', event: 'REDEEM', from: 'issued', to: 'redeemed', instance: 'i', at: 3 };

  it('stays quiet for QUIET_MS after a publish that reached nobody, and publishes always while it has watchers', async () => {
    const clock = { now: 0 };
    let receivers = 0;
    const publish = vi.fn(async () => receivers);
    const run = (async (_operation: string, work: (client: { publish: typeof publish }) => Promise<number>) => work({ publish })) as unknown as Run;
    const connection = { subscribe: (_channel: string, listener: { listening(): void }) => (listener.listening(), () => undefined) } as unknown as RedisConnection;
    const channel = new RedisTransitionChannel({ connection, run, channel: 'p:transitions', subscribeWaitMs: 100, now: () => clock.now });
    expect(channel.wanted()).toBe(true);
    channel.publish(notice);
    await vi.waitFor(() => expect(channel.wanted()).toBe(false));
    clock.now += QUIET_MS - 1;
    expect(channel.wanted()).toBe(false);
    clock.now += 1;
    expect(channel.wanted()).toBe(true);
    receivers = 1;
    channel.publish(notice);
    await vi.waitFor(() => expect(publish).toHaveBeenCalledTimes(2));
    expect(channel.wanted()).toBe(true);
    receivers = 0;
    const stop = channel.watch(() => undefined);
    channel.publish(notice);
    await vi.waitFor(() => expect(publish).toHaveBeenCalledTimes(3));
    expect(channel.wanted()).toBe(true);
    stop();
    expect(channel.wanted()).toBe(false);
    expect(publish).toHaveBeenCalledWith('p:transitions', JSON.stringify(notice));
  });

  it('rebuilds a message field by field: extra fields dropped, anything else not a notice', () => {
    expect(parseTransitionNotice(JSON.stringify({ ...notice, context: { jwtKey: 'k' } }))).toEqual(notice);
    expect(parseTransitionNotice(JSON.stringify({ ...notice, machine: 'nope' }))).toBeNull();
    expect(parseTransitionNotice(JSON.stringify({ ...notice, at: '3' }))).toBeNull();
    expect(parseTransitionNotice('not json')).toBeNull();
    expect(parseTransitionNotice('[1]')).toBeNull();
  });
});

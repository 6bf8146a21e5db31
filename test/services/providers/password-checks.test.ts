/**
 * The bcrypt queue (services/providers/password-checks.ts) with checks the test finishes by hand: how many
 * run, who waits, who is refused at once, and what the metrics hear. Time is a number the test moves.
 */
import { describe, expect, it, vi } from 'vitest';
import { AuthConfigError, loadAuthConfig, parseAuthConfig } from '../../../src/auth-config.js';
import { answerOf } from '../../../src/domain/errors.js';
import {
  passwordCheckLimits,
  passwordCheckQueue,
  PasswordChecksBusyError,
  thisMachine,
  type PasswordCheckLimits,
} from '../../../src/services/providers/password-checks.js';

/** A check that runs until the test ends it. */
function heldCheck() {
  let finish: (value: string) => void = () => {};
  let fail: (error: Error) => void = () => {};
  const started = vi.fn();
  const check = () => {
    started();
    return new Promise<string>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  };
  return { check, started, finish: (value = 'done') => finish(value), fail: (error: Error) => fail(error) };
}

function queue(limits: PasswordCheckLimits) {
  const clock = { now: 0 };
  const observer = { started: vi.fn<(seconds: number) => void>(), refused: vi.fn() };
  return { clock, observer, checks: passwordCheckQueue(limits, { now: () => clock.now, observer }) };
}

/** Lets the promise callbacks queued so far run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('passwordCheckQueue', () => {
  it('runs `concurrency` checks at once, queues `queueSize`, refuses the rest at once without running them', async () => {
    const { checks } = queue({ concurrency: 2, queueSize: 1 });
    const held = Array.from({ length: 5 }, heldCheck);
    const results = held.map((h) => checks.run(h.check).then((value) => ({ value }), (error: unknown) => ({ error })));
    await settle();

    expect(held.map((h) => h.started.mock.calls.length)).toEqual([1, 1, 0, 0, 0]);
    const refusals = await Promise.all(results.slice(3));
    for (const refusal of refusals) expect((refusal as { error: unknown }).error).toBeInstanceOf(PasswordChecksBusyError);
    expect(held[3]?.started).not.toHaveBeenCalled();
    expect(held[4]?.started).not.toHaveBeenCalled();

    held[1]?.finish('second');
    await settle();
    expect(held[2]?.started).toHaveBeenCalledOnce();
    held[0]?.finish('first');
    held[2]?.finish('third');
    expect(await Promise.all(results.slice(0, 3))).toEqual([{ value: 'first' }, { value: 'second' }, { value: 'third' }]);
  });

  it('answers the refusal with a Retry-After of a second and a message that names no user', () => {
    const error = new PasswordChecksBusyError();
    expect(answerOf(error).retryAfterSeconds).toBe(1);
    expect(error.message).toBe('Too many password checks at once, try again shortly');
  });

  it('starts waiting checks in the order they came', async () => {
    const { checks } = queue({ concurrency: 1, queueSize: 3 });
    const [running, first, second, late] = Array.from({ length: 4 }, heldCheck) as [
      ReturnType<typeof heldCheck>, ReturnType<typeof heldCheck>, ReturnType<typeof heldCheck>, ReturnType<typeof heldCheck>,
    ];
    const done = [running, first, second].map((h) => checks.run(h.check));
    await settle();
    running.finish();
    // Arrives in the same turn as the release: it queues behind the two that waited.
    const lateResult = checks.run(late.check);
    await settle();
    const startedCounts = () => [first, second, late].map((h) => h.started.mock.calls.length);
    expect(startedCounts()).toEqual([1, 0, 0]);
    first.finish();
    await settle();
    expect(startedCounts()).toEqual([1, 1, 0]);
    second.finish();
    await settle();
    expect(startedCounts()).toEqual([1, 1, 1]);
    late.finish('late');
    expect(await lateResult).toBe('late');
    await Promise.all(done);
  });

  it('frees the slot of a check that fails, and passes its error on', async () => {
    const { checks } = queue({ concurrency: 1, queueSize: 0 });
    const failing = heldCheck();
    const result = checks.run(failing.check);
    await settle();
    await expect(checks.run(heldCheck().check)).rejects.toBeInstanceOf(PasswordChecksBusyError);
    failing.fail(new Error('bcrypt broke'));
    await expect(result).rejects.toThrow('bcrypt broke');
    await expect(checks.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });

  it('tells the observer how long each check waited, and each refusal', async () => {
    const { clock, observer, checks } = queue({ concurrency: 1, queueSize: 1 });
    const [first, second] = [heldCheck(), heldCheck()];
    const done = [checks.run(first.check), checks.run(second.check)];
    await expect(checks.run(heldCheck().check)).rejects.toBeInstanceOf(PasswordChecksBusyError);
    expect(observer.refused).toHaveBeenCalledOnce();
    expect(observer.started.mock.calls).toEqual([[0]]);

    clock.now += 1500;
    first.finish();
    await settle();
    expect(observer.started.mock.calls).toEqual([[0], [1.5]]);
    second.finish();
    await Promise.all(done);
  });
});

describe('passwordCheckLimits', () => {
  it('leaves a core for the event loop and a thread of the libuv pool free, and queues 4 per running check', () => {
    const none = { concurrency: null, queueSize: null };
    expect(passwordCheckLimits(none, { cores: 2, poolThreads: 4 })).toEqual({ concurrency: 1, queueSize: 4 });
    expect(passwordCheckLimits(none, { cores: 1, poolThreads: 4 })).toEqual({ concurrency: 1, queueSize: 4 });
    expect(passwordCheckLimits(none, { cores: 16, poolThreads: 4 })).toEqual({ concurrency: 3, queueSize: 12 });
    expect(passwordCheckLimits(none, { cores: 16, poolThreads: 64 })).toEqual({ concurrency: 15, queueSize: 60 });
  });

  it('takes what the configuration gives, each one on its own', () => {
    const machine = { cores: 8, poolThreads: 4 };
    expect(passwordCheckLimits({ concurrency: 2, queueSize: null }, machine)).toEqual({ concurrency: 2, queueSize: 8 });
    expect(passwordCheckLimits({ concurrency: null, queueSize: 0 }, machine)).toEqual({ concurrency: 3, queueSize: 0 });
    expect(passwordCheckLimits({ concurrency: 1, queueSize: 1 }, machine)).toEqual({ concurrency: 1, queueSize: 1 });
  });

  it("reads libuv's pool size from UV_THREADPOOL_SIZE, 4 when unset or not a positive integer", () => {
    expect(thisMachine({ UV_THREADPOOL_SIZE: '16' }).poolThreads).toBe(16);
    expect(thisMachine({}).poolThreads).toBe(4);
    expect(thisMachine({ UV_THREADPOOL_SIZE: 'lots' }).poolThreads).toBe(4);
    expect(thisMachine({ UV_THREADPOOL_SIZE: '0' }).poolThreads).toBe(4);
    expect(thisMachine({}).cores).toBeGreaterThanOrEqual(1);
  });
});

describe('the configuration file: password_checks', () => {
  it('leaves both limits to the machine by default, and reads each one given', () => {
    expect(loadAuthConfig(null).passwordChecks).toEqual({ concurrency: null, queueSize: null });
    expect(parseAuthConfig('password_checks: {concurrency: 2}', 'test.yaml').passwordChecks).toEqual({ concurrency: 2, queueSize: null });
    expect(parseAuthConfig('password_checks: {concurrency: 1, queue_size: 0}', 'test.yaml').passwordChecks).toEqual({ concurrency: 1, queueSize: 0 });
  });

  it.each([
    ['password_checks: {concurrency: 0}', 'password_checks.concurrency must be >= 1'],
    ['password_checks: {queue_size: -1}', 'password_checks.queue_size must be >= 0'],
    ['password_checks: {concurrency: 1.5}', 'password_checks.concurrency must be integer'],
    ['password_checks: {waiting: 3}', 'password_checks: unknown key waiting'],
  ])('refuses %s', (text, message) => {
    expect(() => parseAuthConfig(text, 'test.yaml')).toThrow(AuthConfigError);
    expect(() => parseAuthConfig(text, 'test.yaml')).toThrow(`test.yaml: ${message}`);
  });
});

/**
 * The inspection page (`GET /inspect`) in a real browser (Debian's chromium through playwright-core)
 * against a real server: it sends the browser through the login page, exchanges the code, draws
 * every state of every machine with its live count (the last hour's for states that delete their
 * records), shows a login made through the API in the running feed with the edges it took lit up,
 * follows a token the test issues and revokes, highlights a record found by id with its history
 * and the path it took, shows what another instance on the same Redis writes, lists a user's tokens and history and shows one
 * of them as the record search does, and refuses a user who is not an administrator.
 * Never a script error, a CSP violation or a request to another origin.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { machines } from '../../machines/index.js';
import { COUNT_POLL_MS } from '../../src/services/inspection/record-counts.js';
import { DELETED_ON_REACHING } from '../../src/services/inspection/ended-records.js';
import { machineDiagrams, type MachineDiagram } from '../../src/observability/machine-diagrams.js';
import { browserForFile, openPage, type WatchedPage } from '../support/browser.js';
import { expectNoSidewaysScrolling, tabTo, VIEWPORTS } from '../support/pages.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import type { Store } from '../../src/stores/types.js';
import { deleteKeysUnder, REDIS_URL, testSealer, uniquePrefix } from '../stores/redis-harness.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { claimsOf, tokensOf } from '../ws/ws-helpers.js';
import { addUserWithLogin } from './http-helpers.js';
import { onboardOwner, postForm } from '../support/http-client.js';

const PASSWORD = 'secret-password';

const context = browserForFile();
let server: TestServer;
let watched: WatchedPage | undefined;
let elsewhere: string[];

async function browse(): Promise<WatchedPage> {
  watched = await openPage(context(), server.baseUrl);
  elsewhere = [];
  watched.page.on('request', (request) => {
    if (new URL(request.url()).origin !== server.baseUrl) elsewhere.push(request.url());
  });
  return watched;
}

/** Opens /inspect, which sends the browser to the login page; signs in there and comes back. */
async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${server.baseUrl}/inspect`);
  await page.waitForURL((url) => url.pathname === '/auth/authorize');
  const authorize = new URL(page.url()).searchParams;
  expect(authorize.get('client_id')).toBe(`${server.baseUrl}/`);
  expect(authorize.get('redirect_uri')).toBe(`${server.baseUrl}/inspect`);
  expect(authorize.get('state')).toMatch(/^[0-9a-f]{32}$/);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => url.pathname === '/inspect');
}

/** Fires the counts' poll (the server's timers are a fake) and waits until it is done. */
async function pollCounts(): Promise<void> {
  const armed = server.timers.pending;
  server.timers.advance(COUNT_POLL_MS);
  await expect.poll(() => server.timers.pending).toBe(armed);
}

const countCell = (page: Page, machine: string, state: string) => page.locator(`#machine-${machine} tr[data-state="${state}"] td.count`);
const nodeCount = (page: Page, machine: string, state: string) => page.locator(`#${machine}-state-${state} text`).last();

let diagrams: MachineDiagram[] = [];
beforeAll(async () => {
  diagrams = await machineDiagrams();
});
const diagramOf = (name: string) => diagrams.find((diagram) => diagram.name === name) as MachineDiagram;

describe('GET /inspect', () => {
  beforeEach(async () => {
    server = await startTestServer('sqlite');
    await onboardOwner(server, 'alice', PASSWORD);
  });
  afterEach(async () => {
    const problems = watched?.problems ?? [];
    await watched?.page.close();
    watched = undefined;
    await server.close();
    expect(problems).toEqual([]);
    expect(elsewhere).toEqual([]);
  });

  it('shows every instance\'s transitions as they happen, and lights up the edge just taken', async () => {
    const { page } = await browse();
    await signIn(page, 'alice', PASSWORD);
    await page.getByRole('status').filter({ hasText: 'Connected. Counts update live.' }).waitFor();
    await page.locator('#feed-section').waitFor();

    // A login through the API, as an app makes it: its flow, its code, its refresh token.
    const tokens = await tokensOf(server, 'alice', PASSWORD);
    const tokenId = claimsOf(tokens.access_token).iss as string;
    const row = page.locator('#feed tbody tr').filter({ hasText: tokenId });
    await row.waitFor();
    expect((await row.locator('td').allTextContents()).slice(1)).toEqual(['refreshToken', tokenId, 'create', '● → issued', 'test-instance']);
    const flowRow = page.locator('#feed tbody tr').filter({ hasText: 'CREDENTIALS_ACCEPTED' }).first();
    expect((await flowRow.locator('td').allTextContents()).slice(4)).toEqual(['credentials → done', 'test-instance']);
    // Newest first: the token's creation was the login's last write.
    expect(await page.locator('#feed tbody tr').first().textContent()).toContain(tokenId);

    // The edges each machine took last are lit: the flow's to done, the token's creation.
    const edge = (machine: string, from: string | null, to: string) =>
      page.locator(`#${diagramOf(machine).edges.find((known) => known.from === from && known.to === to)?.element_id}`);
    expect(await edge('loginFlow', 'credentials', 'done').getAttribute('class')).toContain('taken');
    expect(await edge('refreshToken', null, 'issued').getAttribute('class')).toContain('taken');
    expect(await page.locator('#loginFlow-state-done').getAttribute('class')).toContain('taken');
    expect(await page.locator('#machine-loginFlow svg .taken').count()).toBe(2);

    // The finished flow counts in the last hour; a revocation shows up too, as REVOKE issued → revoked.
    await pollCounts();
    await expect.poll(() => countCell(page, 'loginFlow', 'done').textContent()).toBe('2');
    expect((await postForm(server, '/auth/revoke', { token: tokens.refresh_token })).status).toBe(200);
    await page.locator('#feed tbody tr').first().filter({ hasText: 'issued → revoked' }).waitFor();
    expect(await edge('refreshToken', 'issued', 'revoked').getAttribute('class')).toContain('taken');
    expect(await edge('refreshToken', null, 'issued').getAttribute('class')).not.toContain('taken');

    // On a phone the feed scrolls within itself, not the page; a record id in it shows that record, by keyboard alone.
    await page.setViewportSize(VIEWPORTS.phone);
    await expectNoSidewaysScrolling(page);
    await tabTo(page, row.first().getByRole('button', { name: tokenId }));
    await page.keyboard.press('Enter');
    await page.locator('#record-title').filter({ hasText: `refreshToken ${tokenId}: revoked` }).waitFor();
    await page.setViewportSize(VIEWPORTS.desktop);
    await page.screenshot({ path: join(tmpdir(), 'hass-auth-inspect-feed.png'), fullPage: true });
  });

  it('signs in, draws every machine, follows counts live, and shows a token found by id', async () => {
    const { page, requests } = await browse();
    await signIn(page, 'alice', PASSWORD);
    await page.getByRole('status').filter({ hasText: 'Connected. Counts update live.' }).waitFor();
    expect(new URL(page.url()).search).toBe('');
    expect(requests).toContain('POST /auth/token');

    // Every state of every machine is drawn, with its count below its name and in the table.
    for (const [name, { machine }] of Object.entries(machines)) {
      const states = Object.keys(machine.root.states);
      const drawn = await page.locator(`#machine-${name} svg g.node title`).allTextContents();
      expect(drawn.filter((title) => title !== '[*]').sort()).toEqual([...states].sort());
      for (const state of states) {
        expect(await page.locator(`#${name}-state-${state} text`).first().textContent()).toBe(state);
        // The states whose records are deleted as they reach them show the last hour's count, labelled so.
        const lastHour = DELETED_ON_REACHING.some((ended) => ended.machine === name && ended.state === state);
        await expect.poll(() => nodeCount(page, name, state).textContent()).toMatch(lastHour ? /^\d+ last hour$/ : /^\d+$/);
        expect(`${await countCell(page, name, state).textContent()}${lastHour ? ' last hour' : ''}`).toBe(await nodeCount(page, name, state).textContent());
        if (lastHour) expect(await page.locator(`#machine-${name} tr[data-state="${state}"] th`).textContent()).toBe(`${state} (last hour)`);
      }
    }
    // The owner's onboarding token and the page's own; the page's login flow, done and deleted.
    expect(await countCell(page, 'refreshToken', 'issued').textContent()).toBe('2');
    expect(await countCell(page, 'loginFlow', 'done').textContent()).toBe('1');
    expect(await countCell(page, 'refreshToken', 'revoked').textContent()).toBe('0');

    const tokens = await tokensOf(server, 'alice', PASSWORD);
    await pollCounts();
    await expect.poll(() => countCell(page, 'refreshToken', 'issued').textContent()).toBe('3');
    expect(await nodeCount(page, 'refreshToken', 'issued').textContent()).toBe('3');
    expect((await postForm(server, '/auth/revoke', { token: tokens.refresh_token })).status).toBe(200);
    await pollCounts();
    await expect.poll(() => countCell(page, 'refreshToken', 'revoked').textContent()).toBe('1');
    expect(await countCell(page, 'refreshToken', 'issued').textContent()).toBe('2');
    expect(await nodeCount(page, 'refreshToken', 'revoked').textContent()).toBe('1');

    const tokenId = claimsOf(tokens.access_token).iss as string;
    await page.getByLabel('Record id').fill(tokenId);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('#record-title').filter({ hasText: `refreshToken ${tokenId}: revoked` }).waitFor();
    expect(await page.locator('#refreshToken-state-revoked').getAttribute('class')).toContain('current');
    expect(await page.locator('svg g.node.current').count()).toBe(1);
    expect(await page.locator('#machine-refreshToken tr.current').getAttribute('data-state')).toBe('revoked');
    const rows = await page.locator('#history tbody tr').all();
    const history = await Promise.all(rows.map(async (row) => (await row.locator('td').allTextContents()).slice(1, 4)));
    expect(history).toEqual([['create', '', 'issued'], ['REVOKE', 'issued', 'revoked']]);
    // Its path on the diagram: the creation's edge, the state, the revocation's edge, the state.
    const visited = await Promise.all((await page.locator('#machine-refreshToken svg g.visited').all()).map((element) => element.getAttribute('id')));
    const edgeTo = (from: string | null, to: string) => diagramOf('refreshToken').edges.find((edge) => edge.from === from && edge.to === to)?.element_id;
    expect(visited.sort()).toEqual([edgeTo(null, 'issued'), edgeTo('issued', 'revoked'), 'refreshToken-state-issued', 'refreshToken-state-revoked'].sort());
    expect(await page.locator('#record-summary').textContent()).toContain('end_reason');
    await page.screenshot({ path: join(tmpdir(), 'hass-auth-inspect-page.png'), fullPage: true });

    await page.getByLabel('Record id').fill('f'.repeat(32));
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('alert').filter({ hasText: `No record has the id ${'f'.repeat(32)}.` }).waitFor();
    expect(await page.locator('svg g.node.current').count()).toBe(0);
  });

  it('lists a user\'s refresh tokens and history by user id or username, and highlights a listed token', async () => {
    const { page } = await browse();
    await signIn(page, 'alice', PASSWORD);
    await page.getByRole('status').filter({ hasText: 'Connected. Counts update live.' }).waitFor();
    const owner = await server.store.users.findCredential('homeassistant', null, 'alice');
    const ownerId = owner?.userId ?? '';
    const onboardingToken = (await server.store.refreshTokens.listByUser(ownerId)).map(({ id }) => id);
    server.clock.now += 60_000;
    const later = await tokensOf(server, 'alice', PASSWORD);
    const laterId = claimsOf(later.access_token).iss as string;
    expect((await postForm(server, '/auth/revoke', { token: later.refresh_token })).status).toBe(200);

    await page.getByLabel('User', { exact: true }).fill(ownerId);
    await page.getByRole('button', { name: 'List' }).click();
    await page.locator('#user-title').filter({ hasText: `User Alice (alice) ${ownerId}, owner` }).waitFor();
    // The onboarding token and the page's own (same minute, either order), then the later one.
    const tokenRows = await page.locator('#user-tokens tbody tr').all();
    const tokens = await Promise.all(tokenRows.map(async (row) => (await row.locator('td').allTextContents()).slice(0, 3)));
    expect(tokens).toHaveLength(3);
    expect(tokens.slice(0, 2).map(([id]) => id)).toEqual(expect.arrayContaining(onboardingToken));
    expect(tokens.slice(0, 2).map(([, state, type]) => [state, type])).toEqual([['issued', 'normal'], ['issued', 'normal']]);
    expect(tokens[2]).toEqual([laterId, 'revoked', 'normal']);
    const history = await page.locator('#user-history tbody tr').first().locator('td').allTextContents();
    expect(history.slice(1, 6)).toEqual([laterId, 'refreshToken', 'REVOKE', 'issued', 'revoked']);

    await page.locator('#user-tokens').getByRole('button', { name: laterId }).click();
    await page.locator('#record-title').filter({ hasText: `refreshToken ${laterId}: revoked` }).waitFor();
    expect(await page.locator('#refreshToken-state-revoked').getAttribute('class')).toContain('current');
    expect(await page.locator('svg g.node.current').count()).toBe(1);
    expect(await page.getByLabel('Record id').inputValue()).toBe(laterId);
    await page.screenshot({ path: join(tmpdir(), 'hass-auth-inspect-user.png'), fullPage: true });

    // By username, as a login types it; an unknown one is said so.
    await page.getByLabel('User', { exact: true }).fill(' ALICE');
    await page.getByRole('button', { name: 'List' }).click();
    await expect.poll(() => page.locator('#user-tokens tbody tr').count()).toBe(3);
    await page.getByLabel('User', { exact: true }).fill('nobody');
    await page.getByRole('button', { name: 'List' }).click();
    await page.getByRole('alert').filter({ hasText: 'No user has the id or username nobody.' }).waitFor();
    expect(await page.locator('#user').isHidden()).toBe(true);
  });

  it('tells a user who is neither owner nor administrator that the page is not for them', async () => {
    await addUserWithLogin(server, 'bob', 'bob-password');
    const { page } = await browse();
    await signIn(page, 'bob', 'bob-password');
    await page.getByRole('alert').filter({ hasText: 'Only owners and administrators may inspect the machines' }).waitFor();
    expect(await page.locator('#machines svg').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Sign in as someone else' }).isVisible()).toBe(true);
  });

  it('is served with the login page’s headers: no frames, no cache, scripts and styles only by hash', async () => {
    const response = await fetch(`${server.baseUrl}/inspect`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*' 'sha256-[A-Za-z0-9+/]+=*' 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(csp).toContain("trusted-types 'none'");
    expect(csp).not.toContain('unsafe');
    expect(await response.text()).not.toMatch(/\s(src|href)="?https?:/);
    elsewhere = [];
  });
});

describe('GET /inspect with two instances on one Redis', () => {
  const prefix = uniquePrefix();
  const others: TestServer[] = [];
  const stores: Store[] = [];
  let page: WatchedPage | undefined;

  async function instance(name: string): Promise<TestServer> {
    const store = await openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() });
    stores.push(store);
    const started = await startTestServer('redis', undefined, { store, instanceId: name });
    others.push(started);
    return started;
  }
  afterEach(async () => {
    const problems = page?.problems ?? [];
    await page?.page.close();
    page = undefined;
    for (const started of others.splice(0)) await started.close();
    for (const store of stores.splice(0)) await store.close();
    await deleteKeysUnder(prefix);
    expect(problems).toEqual([]);
  });

  it('shows in the feed of a page served by one instance a login made on the other', async () => {
    const [a, b] = [await instance('instance-a'), await instance('instance-b')];
    await onboardOwner(a, 'alice', PASSWORD);
    page = await openPage(context(), a.baseUrl);
    const { page: tab } = page;
    await tab.goto(`${a.baseUrl}/inspect`);
    await tab.waitForURL((url) => url.pathname === '/auth/authorize');
    await tab.getByLabel('Username').fill('alice');
    await tab.getByLabel('Password').fill(PASSWORD);
    await tab.getByRole('button', { name: 'Log in' }).click();
    await tab.getByRole('status').filter({ hasText: 'Connected. Counts update live.' }).waitFor();
    await tab.locator('#feed-section').waitFor();
    const fromB = tab.locator('#feed tbody tr').filter({ hasText: 'instance-b' });
    // b may be quiet for a second after a publish nobody heard (stores/redis/transition-channel.ts):
    // log in on b until the page shows one of its writes.
    const tokenIds: string[] = [];
    await expect.poll(async () => {
      tokenIds.push(claimsOf((await tokensOf(b, 'alice', PASSWORD)).access_token).iss as string);
      return fromB.count();
    }, { timeout: 10_000, interval: 100 }).toBeGreaterThan(0);
    const tokenRow = fromB.filter({ hasText: 'refreshToken' }).first();
    await tokenRow.waitFor();
    const cells = await tokenRow.locator('td').allTextContents();
    expect(tokenIds).toContain(cells[2]);
    expect(cells.slice(3)).toEqual(['create', '● → issued', 'instance-b']);
  });
});

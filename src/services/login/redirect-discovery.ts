/**
 * IndieAuth redirect-URI discovery (ha-auth-spec §4.2 step 5, with [NEWER]): when a login's
 * `redirect_uri` is neither on the client_id's origin nor a companion app's, the client_id page is
 * fetched (5 s in all, at most 10 KiB read, redirects followed) and its `<link rel="redirect_uri">`
 * tags, or else its Client ID Metadata Document, say which redirect URIs the client has.
 *
 * Beyond Home Assistant, which fetches any address (§16.2 #7): unless `allowPrivateAddresses` is
 * set, every connection (the first and each redirect) goes only to public addresses. The check is on
 * the address the socket connects to (the lookup itself is guarded), so a name that resolves to a
 * public address when checked and a private one when connecting cannot slip through.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Logger } from '../../domain/logger.js';
import { isPublicAddress } from '../../domain/public-address.js';
import { MAX_FETCH_BYTES, redirectUrisOfMetadataDocument, redirectUrisOfPage } from '../../domain/redirect-uri-documents.js';

/** Home Assistant's `ClientTimeout(total=5)`. */
export const FETCH_TIMEOUT_MS = 5000;
const MAX_REDIRECTS = 5;

export interface DiscoveryOptions {
  /** Let the fetch reach loopback and private addresses (a client on the local network); off by default. */
  allowPrivateAddresses: boolean;
  timeoutMs?: number;
  /** The resolver (tests give one that maps names to chosen addresses). */
  lookup?: LookupFunction;
}

export type RedirectDiscovery = (clientId: string) => Promise<string[]>;

class RefusedAddressError extends Error {
  override readonly name = 'RefusedAddressError';
}

function guardedLookup(resolve: LookupFunction, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const all = addresses as unknown as LookupAddress[];
      const refused = allowPrivate ? undefined : all.find(({ address }) => !isPublicAddress(address));
      if (refused !== undefined) return callback(new RefusedAddressError(`${hostname} resolves to ${refused.address}`), '', 0);
      if (options.all) return callback(null, all);
      const [first] = all;
      if (first === undefined) return callback(new Error(`${hostname} has no address`), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}

interface Fetched {
  status: number;
  redirected: boolean;
  body: Buffer;
  contentType: string;
}

/** Reads at most MAX_FETCH_BYTES of the body, then stops the transfer. */
function readCapped(response: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= MAX_FETCH_BYTES) {
        response.destroy();
        resolve(Buffer.concat(chunks).subarray(0, MAX_FETCH_BYTES));
      }
    });
    response.on('end', () => resolve(Buffer.concat(chunks)));
    response.on('error', reject);
  });
}

export function redirectDiscovery(options: DiscoveryOptions, logger: Logger): RedirectDiscovery {
  const lookup = guardedLookup(options.lookup ?? dnsLookup, options.allowPrivateAddresses);

  function get(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
    // Node skips the lookup for an address written in the URL, so it is checked here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!options.allowPrivateAddresses && isIP(literal) !== 0 && !isPublicAddress(literal)) {
      return Promise.reject(new RefusedAddressError(`${literal} is not a public address`));
    }
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = request(url, { method: 'GET', lookup, signal, headers: { accept: 'text/html, application/json' } }, resolve);
      outgoing.on('error', reject);
      outgoing.end();
    });
  }

  async function fetchFollowing(clientId: string, signal: AbortSignal): Promise<Fetched> {
    let url = new URL(clientId);
    for (let hop = 0; ; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`redirected to ${url.protocol}`);
      const response = await get(url, signal);
      const location = response.headers.location;
      if (response.statusCode !== undefined && response.statusCode >= 300 && response.statusCode < 400 && location !== undefined) {
        response.resume();
        if (hop >= MAX_REDIRECTS) throw new Error('too many redirects');
        url = new URL(location, url);
        continue;
      }
      const body = await readCapped(response);
      return { status: response.statusCode ?? 0, redirected: hop > 0, body, contentType: response.headers['content-type'] ?? '' };
    }
  }

  return async function fetchRedirectUris(clientId) {
    const signal = AbortSignal.timeout(options.timeoutMs ?? FETCH_TIMEOUT_MS);
    let fetched: Fetched;
    try {
      fetched = await fetchFollowing(clientId, signal);
    } catch (error) {
      // Home Assistant logs the failure and finds no redirect URI; so does this.
      logger.warn({ clientId, err: error instanceof Error ? error.message : String(error) }, 'redirect_uri discovery failed');
      return [];
    }
    const fromPage = redirectUrisOfPage(fetched.body.toString('utf8'), clientId);
    return fromPage.length > 0 ? fromPage : (redirectUrisOfMetadataDocument(clientId, fetched) ?? []);
  };
}

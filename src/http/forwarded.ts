/**
 * X-Forwarded-For (homeassistant/components/http/forwarded.py, ha-auth-spec §0), as the
 * configuration file's `http:` says (`use_x_forwarded_for`, `trusted_proxies`):
 *
 *   no X-Forwarded-For                                     → the TCP peer is the client (`request.ip`)
 *   X-Forwarded-For while use_x_forwarded_for is off       → 400 `400: Bad Request` (text/plain)
 *   X-Forwarded-For from a peer not in trusted_proxies     → 400
 *   the header twice                                       → 400
 *   an entry that is not an IP address (empty, `host:port`, a name) → 400
 *   otherwise: the right-most entry that is not a trusted proxy is the client, or the left-most when
 *   every entry is one.
 *
 * The hook runs first (before bans, CORS and the routes, as Home Assistant's middleware does), and its
 * refusal is no failed login. Fastify itself computes `request.ip` (its `trustProxy` option, given
 * `trustedProxyTest`) from the header this hook has checked and rewritten in its normalized form, so
 * every route and the WebSocket see the same client. X-Forwarded-Proto and X-Forwarded-Host are left
 * to Fastify: from a trusted proxy its `request.protocol` takes the last X-Forwarded-Proto entry.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthConfig } from '../auth-config.js';
import { CodedError } from '../domain/errors.js';
import { inAnyNetwork, ipNetwork } from '../domain/ip-network.js';
import { formatIpAddress, parseIpAddress, type IpAddress } from '../domain/network.js';

type ReverseProxy = AuthConfig['reverseProxy'];

/** Whether an address is a trusted proxy; undefined when X-Forwarded-For is off (Fastify then trusts nobody). */
export function trustedProxyTest({ useXForwardedFor, trustedProxies }: ReverseProxy): ((address: string) => boolean) | undefined {
  if (!useXForwardedFor) return undefined;
  const networks = trustedProxies.map(ipNetwork);
  return (address) => inAnyNetwork(address, networks);
}

/** Every X-Forwarded-For header as sent (Node joins repeated ones in `headers`; Home Assistant refuses them). */
function forwardedForHeaders(request: FastifyRequest): string[] {
  const raw = request.raw.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'x-forwarded-for') values.push(raw[i + 1] ?? '');
  }
  return values;
}

function refuse(request: FastifyRequest, reply: FastifyReply, message: string): never {
  // Home Assistant logs these at ERROR: they are usually a proxy set up without `trusted_proxies`.
  request.log.error(message);
  // A WebSocket upgrade refused before @fastify/websocket's own hook has marked it: nobody else
  // would end its socket, which Node has handed over for the upgrade.
  if (request.headers.upgrade !== undefined) {
    const socket = request.raw.socket;
    reply.raw.once('finish', () => socket.end(() => socket.destroy()));
  }
  // Thrown from the hook, so that the `onError` hooks see it: a refusal before any view is no failed login (ip-bans.ts).
  throw new CodedError('bad_request');
}

/** Where the operator sets the proxy keys, for the log lines: the configuration file, or how to name one. */
function settingsFile(configSource: string): string {
  return configSource === 'defaults' ? 'the configuration file (none is read: set CONFIG_FILE to its path)' : configSource;
}

/**
 * The checks of §0, in Home Assistant's order. Call it before any other hook. `configSource` names
 * the configuration file (AuthConfig `source`), so that the log line of a refused proxy says where
 * to set `use_x_forwarded_for` and `trusted_proxies`; the answer stays Home Assistant's plain 400.
 */
export function checkForwardedFor(app: FastifyInstance, reverseProxy: ReverseProxy, configSource: string): void {
  const isTrustedProxy = trustedProxyTest(reverseProxy);
  const where = settingsFile(configSource);
  app.addHook('onRequest', async function refuseBadForwardedFor(request, reply) {
    const headers = forwardedForHeaders(request);
    const peer = request.raw.socket.remoteAddress;
    if (headers.length === 0 || peer === undefined) return;
    const fail: (message: string) => never = (message) => refuse(request, reply, message);
    if (isTrustedProxy === undefined) {
      fail(
        `A request from a reverse proxy was received from ${peer}, but your HTTP integration is not set-up for reverse proxies; ` +
          `set http: use_x_forwarded_for: true and list ${peer} in http: trusted_proxies in ${where}`,
      );
    }
    if (!isTrustedProxy(peer)) {
      fail(`Received X-Forwarded-For header from an untrusted proxy ${peer}; add ${peer} (or its network) to http: trusted_proxies in ${where}`);
    }
    if (headers.length > 1) fail(`Too many headers for X-Forwarded-For: ${JSON.stringify(headers)}`);
    const header = headers[0] ?? '';
    const addresses = header.split(',').map((entry) => parseIpAddress(entry.trim()));
    if (addresses.includes(null)) fail(`Invalid IP address in X-Forwarded-For: ${header}`);
    // Normalized (`str(ip_address(…))`), so that the client Fastify picks is the one Home Assistant would.
    request.raw.headers['x-forwarded-for'] = (addresses as IpAddress[]).map(formatIpAddress).join(', ');
  });
}

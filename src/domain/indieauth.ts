/**
 * client_id and redirect_uri checks — Home Assistant's `homeassistant/components/auth/indieauth.py`
 * (`_parse_url`, `_parse_client_id`, `verify_client_id`, `verify_redirect_uri`), spec §4.1-§4.2.
 *
 * A client_id is an http(s) URL without `.`/`..` path segments, fragment, userinfo or bad port, whose
 * host is a domain name or a local IP (spec §9.3). A redirect_uri is allowed without discovery when it
 * has the client_id's scheme and netloc, or is a companion-app callback listed below. The IndieAuth
 * `<link rel="redirect_uri">` fetch (§4.2 step 5) is NOT done here: a false answer from
 * `redirectUriAllowedWithoutDiscovery` means "not allowed without fetching the client_id page".
 *
 * Quirks kept on purpose (they are Home Assistant's behaviour):
 * - the IP test runs on the whole netloc, port included: `http://8.8.8.8:8123/` and
 *   `http://[2001:db8::1]:8123/` are accepted, `http://8.8.8.8/` is refused; `http://8.8.8.8:/` passes;
 * - plain `http` is fine; an empty fragment (`http://ex.com/#`) is fine; a query is ignored;
 * - the companion-app list compares the raw, unparsed strings exactly.
 * Deviations: an empty netloc (`http:///x`, `https:/x`) crashes Home Assistant with a 500 (`netloc[0]`);
 * here it is simply not a valid client_id. An unparseable redirect_uri is refused, as [NEWER] does.
 */
import { isLocal, parseIpAddress } from './network.js';

/** `urlparse(url)` followed by `_parse_url`'s canonicalization (netloc lowercased, empty path → `/`). */
export interface ParsedUrl {
  readonly scheme: string;
  readonly netloc: string;
  readonly path: string;
  readonly params: string;
  readonly query: string;
  readonly fragment: string;
  readonly username: string | null;
  readonly password: string | null;
  readonly hostname: string | null;
  /** Python's `parts.port`; `'invalid'` where that property raises (non-digits, > 65535). */
  readonly port: number | 'invalid' | null;
}

/** The companion apps may redirect to these without discovery (raw strings, compared exactly). */
export const COMPANION_APP_REDIRECTS: readonly { readonly clientId: string; readonly redirectUri: string }[] = [
  { clientId: 'https://home-assistant.io/iOS', redirectUri: 'homeassistant://auth-callback' },
  { clientId: 'https://home-assistant.io/android', redirectUri: 'homeassistant://auth-callback' },
  {
    clientId: 'https://home-assistant.io/android',
    redirectUri: 'https://wear.googleapis.com/3p_auth/io.homeassistant.companion.android',
  },
  {
    clientId: 'https://home-assistant.io/android',
    redirectUri: 'https://wear.googleapis-cn.com/3p_auth/io.homeassistant.companion.android',
  },
];

// Python's `urllib.parse.urlparse` (3.13, with the 3.13.2 bracket fix), not WHATWG `new URL`: WHATWG
// resolves `..` and `%2e%2e`, drops default ports, percent-encodes, and turns `\` into `/`, so the
// segment, port and host checks would see a different URL than Home Assistant does.
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const IPV_FUTURE = /^v[a-fA-F0-9]+\.[^\n]+$/;
const NON_ASCII = /[\u0080-\u{10ffff}]/u;
/** `urllib.parse.uses_params`: schemes whose last path segment may carry `;params`. */
const USES_PARAMS = new Set([
  ...['', 'ftp', 'hdl', 'prospero', 'http', 'imap', 'https', 'shttp'],
  ...['rtsp', 'rtsps', 'rtspu', 'sip', 'sips', 'mms', 'sftp', 'tel'],
]);

/** Python `str.partition` (`rpartition` with `fromEnd`): [before, found, after]. */
function partition(text: string, separator: string, fromEnd = false): [string, boolean, string] {
  const at = fromEnd ? text.lastIndexOf(separator) : text.indexOf(separator);
  if (at === -1) return fromEnd ? ['', false, text] : [text, false, ''];
  return [text.slice(0, at), true, text.slice(at + separator.length)];
}

/** `_check_bracketed_host`: `[…]` holds an IPv6 address or an IPvFuture `v<hex>.<text>`. */
function bracketedHostValid(host: string): boolean {
  if (host.startsWith('v')) return IPV_FUTURE.test(host);
  return parseIpAddress(host)?.version === 6;
}

/** `urlsplit`'s netloc checks: balanced brackets around the host only, and `_checknetloc` (NFKC). */
function netlocValid(netloc: string): boolean {
  if (netloc.includes('[') !== netloc.includes(']')) return false;
  if (netloc.includes('[')) {
    const [before, bracketed, rest] = partition(partition(netloc, '@', true)[2], '[');
    const [host, , port] = bracketed ? partition(rest, ']') : partition(before, ':');
    if (bracketed && (before !== '' || (port !== '' && !port.startsWith(':')))) return false;
    if (!bracketedHostValid(host)) return false;
  }
  if (!NON_ASCII.test(netloc)) return true;
  const plain = netloc.replace(/[@:#?]/g, '');
  const normalized = plain.normalize('NFKC');
  return plain === normalized || ![...'/?#@:'].some((c) => normalized.includes(c));
}

/** `_splitparams`: `;params` of the last path segment. */
function splitParams(path: string): [string, string] {
  const at = path.includes('/') ? path.indexOf(';', path.lastIndexOf('/')) : path.indexOf(';');
  return at === -1 ? [path, ''] : [path.slice(0, at), path.slice(at + 1)];
}

/** Python `urlsplit` + `urlparse`; null where they raise `ValueError`. */
function urlparse(raw: string): Omit<ParsedUrl, 'username' | 'password' | 'hostname' | 'port'> | null {
  let start = 0;
  while (start < raw.length && raw.charCodeAt(start) <= 0x20) start += 1;
  let rest = raw.slice(start).replace(/[\t\r\n]/g, '');
  let scheme = '';
  const colon = rest.indexOf(':');
  if (colon > 0 && SCHEME.test(rest.slice(0, colon))) {
    scheme = rest.slice(0, colon).toLowerCase();
    rest = rest.slice(colon + 1);
  }
  let netloc = '';
  if (rest.startsWith('//')) {
    const ends = [...'/?#'].map((c) => rest.indexOf(c, 2)).filter((at) => at !== -1);
    const end = Math.min(rest.length, ...ends);
    netloc = rest.slice(2, end);
    rest = rest.slice(end);
  }
  const [beforeHash, , fragment] = partition(rest, '#');
  const [beforeQuery, , query] = partition(beforeHash, '?');
  if (!netlocValid(netloc)) return null;
  const [path, params] = USES_PARAMS.has(scheme) ? splitParams(beforeQuery) : [beforeQuery, ''];
  return { scheme, netloc, path, params, query, fragment };
}

/** `ParseResult.port`: ASCII digits in 0-65535, absent when empty. */
function portOf(port: string): ParsedUrl['port'] {
  if (port === '') return null;
  if (!/^[0-9]+$/.test(port)) return 'invalid';
  const number = Number(port);
  return number <= 65535 ? number : 'invalid';
}

/** Home Assistant's `_parse_url`: `urlparse`, lowercase netloc, empty path → `/`. Null = ValueError. */
export function parseUrl(url: string): ParsedUrl | null {
  const parts = urlparse(url);
  if (parts === null) return null;
  const netloc = parts.netloc.toLowerCase();
  const [userinfo, hasUserinfo, hostinfo] = partition(netloc, '@', true);
  const [username, hasPassword, password] = partition(userinfo, ':');
  const [beforeBracket, bracketed, inBracket] = partition(hostinfo, '[');
  const [hostname, , afterHost] = bracketed ? partition(inBracket, ']') : partition(beforeBracket, ':');
  const port = bracketed ? partition(afterHost, ':')[2] : afterHost;
  return {
    ...parts,
    netloc,
    path: parts.path === '' ? '/' : parts.path,
    username: hasUserinfo ? username : null,
    password: hasPassword ? password : null,
    hostname: hostname === '' ? null : hostname,
    port: portOf(port),
  };
}

/** The host rule: not an IP, or a local IP. The netloc still carries any port (see the header). */
function hostIsDomainOrLocalIp(netloc: string): boolean {
  if (netloc === '') return false; // Home Assistant: IndexError → 500.
  const host = netloc.startsWith('[') && netloc.endsWith(']') ? netloc.slice(1, -1) : netloc;
  const address = parseIpAddress(host);
  return address === null || isLocal(address);
}

/** Home Assistant's `_parse_client_id`: the parsed client_id, or null where it raises. */
export function parseClientId(clientId: string): ParsedUrl | null {
  const parts = parseUrl(clientId);
  if (parts === null) return null;
  if (parts.scheme !== 'http' && parts.scheme !== 'https') return null;
  if (parts.path.split('/').some((segment) => segment === '.' || segment === '..')) return null;
  if (parts.fragment !== '') return null;
  if (parts.username !== null) return null; // HA also tests the password, which implies a username
  if (parts.port === 'invalid') return null;
  return hostIsDomainOrLocalIp(parts.netloc) ? parts : null;
}

/** `verify_client_id`. */
/**
 * Verdicts already reached: a client_id is checked on every grant, the same few ids again and again
 * (parsing one was 3 % of the refresh grant's CPU, bench/profile-refresh.ts). The answer depends on
 * the string alone; the map is emptied when full, so anyone sending new ids costs only its memory.
 */
const verdicts = new Map<string, boolean>();
const VERDICTS_KEPT = 1_024;

export function verifyClientId(clientId: string): boolean {
  let verdict = verdicts.get(clientId);
  if (verdict === undefined) {
    verdict = parseClientId(clientId) !== null;
    if (verdicts.size >= VERDICTS_KEPT) verdicts.clear();
    verdicts.set(clientId, verdict);
  }
  return verdict;
}

/** `verify_redirect_uri` steps 1-4 (spec §4.2): valid client_id, then same origin or a companion app. */
export function redirectUriAllowedWithoutDiscovery(clientId: string, redirectUri: string): boolean {
  const client = parseClientId(clientId);
  const redirect = parseUrl(redirectUri);
  if (client === null || redirect === null) return false;
  if (client.scheme === redirect.scheme && client.netloc === redirect.netloc) return true;
  return COMPANION_APP_REDIRECTS.some((row) => row.clientId === clientId && row.redirectUri === redirectUri);
}

/**
 * The service's own URL as a client reaching it sees it, for the OAuth metadata documents and the
 * `WWW-Authenticate` header (ha-auth-spec §2, [NEWER]). Home Assistant uses
 * `get_url(hass, require_current_request=True)`: a configured internal or external URL whose host
 * is the request's host, or the request's own URL when it reached a loopback host; otherwise there is
 * no URL (the documents fall back to relative paths, the protected-resource document to a 404).
 */
import { isLoopback } from './network.js';

function hostnameOf(hostHeader: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  if (bracketed?.[1] !== undefined) return bracketed[1].toLowerCase();
  return hostHeader.replace(/:\d+$/, '').toLowerCase();
}

/** `''` when no configured URL matches the request's host and the host is not a loopback one. */
export function requestBaseUrl(hostHeader: string | undefined, protocol: string, configured: readonly string[]): string {
  if (hostHeader === undefined || hostHeader === '') return '';
  const hostname = hostnameOf(hostHeader);
  for (const url of configured) {
    if (new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase() === hostname) return url.replace(/\/+$/, '');
  }
  if (hostname === 'localhost' || isLoopback(hostname)) return `${protocol}://${hostHeader}`;
  return '';
}

/**
 * What a client_id page says about its redirect URIs (IndieAuth discovery, ha-auth-spec §4.2 with
 * [NEWER]): `<link rel="redirect_uri" href="…">` tags of an HTML page, resolved against the page's
 * URL, or else an OAuth Client ID Metadata Document (a JSON object naming the client and its
 * `redirect_uris`). Pure: the fetching is services/login/redirect-discovery.ts.
 */
import { Parser } from 'htmlparser2';

/** `MAX_FETCH_BYTES` [NEWER]: no more of a page is read. */
export const MAX_FETCH_BYTES = 10_240;

/**
 * The redirect URIs of `<link rel="redirect_uri">` tags, in page order, resolved against `pageUrl`.
 * `rel` must equal `redirect_uri` (Home Assistant does not split a list of rels); a tag without
 * `href`, or with an empty one, is skipped ([NEWER]: 2025.6.3 resolved it to the page itself).
 */
export function redirectUrisOfPage(html: string, pageUrl: string): string[] {
  const found: string[] = [];
  const parser = new Parser({
    onopentag(name, attributes) {
      if (name !== 'link' || attributes.rel !== 'redirect_uri' || !attributes.href) return;
      try {
        found.push(new URL(attributes.href, pageUrl).href);
      } catch {
        // An href that does not resolve names no redirect URI.
      }
    },
  });
  parser.write(html);
  parser.end();
  return found;
}

export interface FetchedDocument {
  status: number;
  /** True when the answer came after one or more redirects. */
  redirected: boolean;
  body: Buffer;
}

/**
 * The `redirect_uris` of a Client ID Metadata Document, or null when the answer is not one that
 * Home Assistant accepts: smaller than MAX_FETCH_BYTES, status 200, not redirected, an https
 * client_id with a path and no `#`, strict UTF-8 JSON whose `client_id` is exactly the URL fetched,
 * and `redirect_uris` strings each with a scheme and no fragment. The URIs are kept as written.
 */
export function redirectUrisOfMetadataDocument(clientId: string, fetched: FetchedDocument): string[] | null {
  if (fetched.body.length >= MAX_FETCH_BYTES || fetched.status !== 200 || fetched.redirected) return null;
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.pathname === '/' || clientId.includes('#')) return null;
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fetched.body));
  } catch {
    return null;
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return null;
  const { client_id: named, redirect_uris: uris } = document as Record<string, unknown>;
  if (named !== clientId || !Array.isArray(uris)) return null;
  const valid = uris.every((uri) => typeof uri === 'string' && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri) && !uri.includes('#'));
  return valid ? (uris as string[]) : null;
}

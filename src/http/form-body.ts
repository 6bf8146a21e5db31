/**
 * Bodies of the OAuth endpoints as aiohttp's `await request.post()` reads them: form-encoded or
 * multipart (the Home Assistant frontend posts `FormData`); any other body — JSON included — reads as
 * no fields at all, so it fails on the missing fields, not on its format (ha-auth-spec §6.1). A
 * repeated field yields its first value (`MultiDict.get`). Parsing uses the WHATWG `formData()` that
 * Node ships (undici), so invalid UTF-8 becomes U+FFFD and a broken multipart body reads as empty.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;
const URLENCODED = /^application\/x-www-form-urlencoded\b/i;

/** The first value of each field (`MultiDict.get`); files are not fields. */
function firstValues(entries: Iterable<[string, unknown]>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (typeof value === 'string' && !(name in fields)) fields[name] = value;
  }
  return fields;
}

async function readForm(contentType: string | undefined, body: Buffer): Promise<Record<string, string>> {
  if (contentType === undefined || !FORM_TYPES.test(contentType)) return {};
  // What undici's formData() does for this type, without building a Response (about a tenth of the
  // refresh grant's CPU in the profile, bench/profile-refresh.ts): decode as UTF-8 with U+FFFD for
  // bad bytes, keep a BOM, ignore any charset, and parse with URLSearchParams
  // (test/http/form-body.test.ts compares the two on random bodies).
  if (URLENCODED.test(contentType)) return firstValues(new URLSearchParams(body.toString('utf8')));
  try {
    return firstValues(await new Response(body, { headers: { 'content-type': contentType } }).formData());
  } catch {
    return {};
  }
}

/** In this plugin's scope only: every body, whatever its type, is parsed into its form fields. */
export function acceptFormBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, async (request: FastifyRequest, body: Buffer) =>
    readForm(request.headers['content-type'], body),
  );
}

/** The fields `acceptFormBodies` parsed; none for a request without a body. */
export function formFields(request: FastifyRequest): Record<string, string> {
  return (request.body ?? {}) as Record<string, string>;
}

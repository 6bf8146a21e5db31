/**
 * Bodies of the OAuth endpoints as aiohttp's `await request.post()` reads them: form-encoded or
 * multipart (the Home Assistant frontend posts `FormData`); any other body — JSON included — reads as
 * no fields at all, so it fails on the missing fields, not on its format (ha-auth-spec §6.1). A
 * repeated field yields its first value (`MultiDict.get`). Parsing uses the WHATWG `formData()` that
 * Node ships (undici), so invalid UTF-8 becomes U+FFFD and a broken multipart body reads as empty.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

async function readForm(contentType: string | undefined, body: Buffer): Promise<Record<string, string>> {
  if (contentType === undefined || !FORM_TYPES.test(contentType)) return {};
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return {};
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of form) {
    if (typeof value === 'string' && !(name in fields)) fields[name] = value;
  }
  return fields;
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

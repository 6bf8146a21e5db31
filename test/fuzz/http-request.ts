/**
 * A fuzzed HTTP request as fast-check generates and shrinks it (values still symbolic, values.ts),
 * and how it goes on the wire: the body in one of the encodings clients use or get wrong, the query
 * percent-encoded as UTF-8, sometimes with escapes that decode to nothing valid.
 */
import type { RealKind } from './real-values.js';
import { render, type Val } from './values.js';

export const FORM_ENCODINGS = ['urlencoded', 'urlencoded; charset', 'multipart', 'invalid UTF-8', 'JSON', 'text/plain', 'no content-type'] as const;
export type FormEncoding = (typeof FORM_ENCODINGS)[number];

export const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'none'] as const;

export type Body =
  | { kind: 'form'; pairs: Array<[string, Val]>; encoding: FormEncoding }
  /** A JSON object of fields whose values are JSON text (or real values, sent as JSON strings), or any text at all. */
  | { kind: 'json'; entries: Array<[string, Val]>; contentType: (typeof JSON_TYPES)[number] }
  | { kind: 'raw'; text: string; contentType: string };

export interface FuzzRequest {
  method: string;
  /** Path segments after the leading `/`; values are percent-encoded. */
  path: Array<string | Val>;
  query: Array<[string, Val]>;
  /** Escapes appended to the query as they are (`%zz`, `%FF`), which decode to nothing valid. */
  rawQuery: string;
  headers: Array<[string, Val]>;
  body: Body | null;
}

/** Percent-encodes `value` as UTF-8, lone surrogates as U+FFFD (what any client's UTF-8 encoder sends for them). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

const FORM = 'application/x-www-form-urlencoded';

async function renderBody(body: Body, resolve: (kind: RealKind) => Promise<string>): Promise<{ headers: Record<string, string>; body: string | Uint8Array | FormData }> {
  if (body.kind === 'raw') return { headers: { 'content-type': body.contentType }, body: new Uint8Array(Buffer.from(body.text, 'utf8')) };
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of body.kind === 'json' ? body.entries : body.pairs) {
    // A real value in a JSON body is a JSON string; literal text there is JSON text already.
    const rendered = await render(value, resolve);
    pairs.push([name, body.kind === 'json' && !('text' in value) ? JSON.stringify(rendered) : rendered]);
  }
  if (body.kind === 'json') {
    const text = `{${pairs.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;
    const headers: Record<string, string> = body.contentType === 'none' ? {} : { 'content-type': body.contentType };
    return { headers, body: new Uint8Array(Buffer.from(text, 'utf8')) };
  }
  const urlEncoded = pairs.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join('&');
  switch (body.encoding) {
    case 'urlencoded': return { headers: { 'content-type': FORM }, body: urlEncoded };
    case 'urlencoded; charset': return { headers: { 'content-type': `${FORM}; charset=UTF-8` }, body: urlEncoded };
    case 'multipart': {
      const form = new FormData();
      for (const [name, value] of pairs) form.append(name, value);
      return { headers: {}, body: form };
    }
    case 'invalid UTF-8': {
      const bytes = Buffer.concat([Buffer.from([0xff, 0xc3]), Buffer.from(urlEncoded), Buffer.from('&x=%FF%C3')]);
      return { headers: { 'content-type': FORM }, body: new Uint8Array(bytes) };
    }
    case 'JSON': return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(Object.fromEntries(pairs)) };
    case 'text/plain': return { headers: { 'content-type': 'text/plain' }, body: urlEncoded };
    case 'no content-type': return { headers: {}, body: new Uint8Array(Buffer.from(urlEncoded)) };
  }
}

export interface Sent {
  url: string;
  init: RequestInit;
}

/** The request as fetch sends it, its real values minted through `resolve`. */
export async function toFetch(baseUrl: string, request: FuzzRequest, resolve: (kind: RealKind) => Promise<string>): Promise<Sent> {
  const segments: string[] = [];
  for (const part of request.path) segments.push(typeof part === 'string' ? part : percentEncode(await render(part, resolve)));
  const query: string[] = [];
  for (const [name, value] of request.query) query.push(`${percentEncode(name)}=${percentEncode(await render(value, resolve))}`);
  if (request.rawQuery !== '') query.push(request.rawQuery);
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) headers[name] = await render(value, resolve);
  // fetch sends no body with GET or HEAD (nor do browsers).
  const body = request.body === null || ['GET', 'HEAD'].includes(request.method) ? null : await renderBody(request.body, resolve);
  const url = `${baseUrl}/${segments.join('/')}${query.length > 0 ? `?${query.join('&')}` : ''}`;
  return { url, init: { method: request.method, headers: { ...body?.headers, ...headers }, ...(body === null ? {} : { body: body.body }) } };
}

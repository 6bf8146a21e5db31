/**
 * The token endpoint's form bodies read as undici's `formData()` reads them (src/http/form-body.ts
 * parses the form-encoded ones itself, on the hot path): the same fields for any bytes, any
 * spelling of the content type.
 */
import fc from 'fast-check';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptFormBodies, formFields } from '../../src/http/form-body.js';

const app = Fastify();
beforeAll(async () => {
  await app.register(async (scope) => {
    acceptFormBodies(scope);
    scope.post('/form', async (request) => formFields(request));
  });
  await app.ready();
});
afterAll(() => app.close());

/** What undici makes of the body: the first string value of each field. */
async function reference(body: Buffer, contentType: string): Promise<Record<string, string>> {
  const fields: Record<string, string> = {};
  for (const [name, value] of await new Response(body, { headers: { 'content-type': contentType } }).formData()) {
    if (typeof value === 'string' && !(name in fields)) fields[name] = value;
  }
  return fields;
}

/** Bytes that matter to the parser, and bytes that are no UTF-8. */
const ALPHABET = [...Buffer.from('a=b&%25%2+ ;%zz%41%C3%A9', 'latin1'), 0xff, 0xfe, 0xef, 0xbb, 0xbf, 0xc3, 0xa9, 0x00];
const CONTENT_TYPES = ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=iso-8859-1', 'APPLICATION/X-WWW-FORM-URLENCODED'];

describe('form-encoded bodies', () => {
  it('read as undici formData() reads them, for any bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...ALPHABET), { maxLength: 40 }),
        fc.constantFrom(...CONTENT_TYPES),
        async (bytes, contentType) => {
          const body = Buffer.from(bytes);
          const answer = await app.inject({ method: 'POST', url: '/form', headers: { 'content-type': contentType }, payload: body });
          expect(answer.json()).toEqual(await reference(body, contentType));
        },
      ),
      { numRuns: 300, seed: 16 },
    );
  });

  it('keep the first of a repeated field and a byte-order mark as part of the first name, as undici does', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a=1&a=2&b=%FF&c=x+y')]);
    const answer = await app.inject({ method: 'POST', url: '/form', headers: { 'content-type': CONTENT_TYPES[0] }, payload: body });
    expect(answer.json()).toEqual({ '\ufeffa': '1', a: '2', b: '\ufffd', c: 'x y' });
  });
});

import { describe, expect, it } from 'vitest';
import { redirectUrisOfMetadataDocument, redirectUrisOfPage } from '../../src/domain/redirect-uri-documents.js';

describe('redirect URIs of a client_id page', () => {
  it('reads link tags whose rel is exactly redirect_uri, resolved against the page, skipping empty hrefs', () => {
    const html = `<html><head>
      <link rel="redirect_uri" href="/callback">
      <LINK REL="redirect_uri" HREF="https://other.example/cb?x=1">
      <link rel="redirect_uri">
      <link rel="redirect_uri" href="">
      <link rel="stylesheet redirect_uri" href="/not-this">
      <a rel="redirect_uri" href="/nor-this">x</a>
      </head></html>`;
    expect(redirectUrisOfPage(html, 'https://app.example/client/')).toEqual(['https://app.example/callback', 'https://other.example/cb?x=1']);
  });
});

describe('redirect URIs of a Client ID Metadata Document', () => {
  const clientId = 'https://app.example/client.json';
  const fetched = (document: unknown, overrides: Partial<{ status: number; redirected: boolean }> = {}) => ({
    status: 200,
    redirected: false,
    body: Buffer.from(typeof document === 'string' ? document : JSON.stringify(document)),
    ...overrides,
  });

  it('accepts a document naming this client, and keeps its URIs as written', () => {
    const uris = ['https://app.example/cb', 'com.example.app:/oauth'];
    expect(redirectUrisOfMetadataDocument(clientId, fetched({ client_id: clientId, redirect_uris: uris }))).toEqual(uris);
  });

  it.each([
    ['another client', fetched({ client_id: 'https://evil.example/client.json', redirect_uris: ['https://evil.example/'] })],
    ['a redirected answer', fetched({ client_id: clientId, redirect_uris: [] }, { redirected: true })],
    ['a status other than 200', fetched({ client_id: clientId, redirect_uris: [] }, { status: 203 })],
    ['a URI with a fragment', fetched({ client_id: clientId, redirect_uris: ['https://app.example/cb#x'] })],
    ['a URI without a scheme', fetched({ client_id: clientId, redirect_uris: ['/cb'] })],
    ['redirect_uris that is not a list', fetched({ client_id: clientId, redirect_uris: 'https://app.example/cb' })],
    ['JSON with NaN', fetched(`{"client_id": "${clientId}", "redirect_uris": [], "n": NaN}`)],
    ['invalid UTF-8', { status: 200, redirected: false, body: Buffer.from([0x7b, 0xff, 0x7d]) }],
    ['a body of 10 KiB', fetched({ client_id: clientId, redirect_uris: [], pad: 'x'.repeat(10_240) })],
  ])('refuses %s', (_, answer) => {
    expect(redirectUrisOfMetadataDocument(clientId, answer)).toBeNull();
  });

  it.each(['http://app.example/client.json', 'https://app.example/', 'https://app.example'])('refuses the client id %s', (id) => {
    expect(redirectUrisOfMetadataDocument(id, fetched({ client_id: id, redirect_uris: ['https://app.example/cb'] }))).toBeNull();
  });
});

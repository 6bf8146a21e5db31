/**
 * The peer (oidc-peer.ts) in a process of its own, as bench/run.ts starts the service and the bare
 * route, so that its CPU per request is read from /proc like theirs.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 PEER_ROTATION=on PORT=8000 npx tsx bench/oidc-peer-server.ts
 *
 * Env: REDIS_URL, PEER_KEY_PREFIX (oidc:), PEER_ROTATION (`on` or `off`), HOST, PORT. The token
 * endpoint is the provider's own, `POST /token`; `GET /health` answers 200 for the readiness check
 * of test/support/service-process.ts.
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import { openPeer, PEER_KEY_PREFIX } from './oidc-peer.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 0);
const rotation = process.env.PEER_ROTATION ?? 'off';
if (rotation !== 'on' && rotation !== 'off') throw new Error(`PEER_ROTATION: on or off, not ${rotation}`);

const peer = await openPeer({
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  keyPrefix: process.env.PEER_KEY_PREFIX ?? PEER_KEY_PREFIX,
  rotateRefreshToken: rotation === 'on',
  issuer: `http://${host}:${port}`,
});
const handle = peer.provider.callback();
const server = createServer((request, response) => {
  if (request.url === '/health') response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  else void handle(request, response);
});
server.listen(port, host);
await once(server, 'listening');
process.once('SIGTERM', () => {
  server.close();
  void peer.close().then(() => process.exit(0));
});

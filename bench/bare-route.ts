/**
 * The yardstick of `npm run bench` (bench/run.ts): a Fastify app with nothing of the service in it
 * but the form-body parsing its token endpoint uses (src/http/form-body.ts), answering a small JSON.
 * Each scenario's ratio to this route is then the cost of the service's own work, on the same
 * machine, in the same run, through the same HTTP stack and load generator.
 *
 *   PORT=8000 npx tsx bench/bare-route.ts     (bench/run.ts starts it as a child process)
 *
 * `GET /api/` is the yardstick of the service's `GET /api/` with a Bearer token: a bare GET route
 * answering Home Assistant's small JSON, reading nothing of the request (the bench sends it the same
 * Authorization header), so the service's CPU over this one's is what checking the token costs.
 *
 * `GET /health` answers as the service's does, so the same readiness check starts both.
 */
import Fastify from 'fastify';
import { acceptFormBodies, formFields } from '../src/http/form-body.js';

const app = Fastify();
app.get('/health', async () => ({ status: 'ok' }));
app.get('/api/', async () => ({ message: 'API running.' }));
await app.register(async (scope) => {
  acceptFormBodies(scope);
  scope.post('/auth/token', async (request) => ({ fields: Object.keys(formFields(request)).length, token_type: 'Bearer' }));
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));

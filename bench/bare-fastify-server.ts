// The baseline: a bare fastify 5 HTTPS server with one route replaying a captured response byte for byte.
// Run as its own process (see bare-fastify.ts); prints `ready <port>` once listening on 127.0.0.1.
import { readFile } from 'node:fs/promises';
import Fastify from 'fastify';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const [cert, key, body] = await Promise.all([
  readFile(requiredEnv('BARE_CERT_FILE')),
  readFile(requiredEnv('BARE_KEY_FILE')),
  readFile(requiredEnv('BARE_BODY_FILE')),
]);
const contentType = requiredEnv('BARE_CONTENT_TYPE');
const route = requiredEnv('BARE_ROUTE');

const app = Fastify({ https: { cert, key } });
app.get(route, (_request, reply) => {
  void reply.header('content-type', contentType).send(body);
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`ready ${typeof address === 'object' && address ? address.port : 0}\n`);

const stop = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

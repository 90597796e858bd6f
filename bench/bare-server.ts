/**
 * The baseline: Fastify with one route that parses the same JSON POST and answers a constant,
 * doing no auth, validation, lookup or write. Usage: node --import tsx bench/bare-server.ts <port>.
 */
import Fastify from 'fastify';

const ANSWER = {
  checkId: '0190a6e4-0000-7000-8000-000000000000',
  restricted: false,
  checkedAt: '2026-01-01T00:00:00.000Z',
  channel: 'remote',
  reference: 'bench',
};

const app = Fastify({ logger: false });
app.post('/v1/checks', async () => ANSWER);
app.get('/readyz', async () => ({ status: 'ready' }));

await app.listen({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0));
  });
}

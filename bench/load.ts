/**
 * The autocannon load driver, run as its own process so that generating load never shares an
 * event loop with the server under test. Usage: node --import tsx bench/load.ts '<LoadOptions JSON>'.
 * Prints one line of JSON, a LoadResult, on stdout.
 */
import fs from 'node:fs';
import autocannon from 'autocannon';
import type { LoadOptions, LoadResult } from './load-result.js';

function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as LoadOptions;
  const requests = fs
    .readFileSync(config.requestsFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const tab = line.indexOf('\t');
      return {
        method: 'POST' as const,
        path: '/v1/checks',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${line.slice(0, tab)}` },
        body: line.slice(tab + 1),
      };
    });

  // Each connection gets every connections-th request, prebuilt once: together they cycle through the
  // whole pool, and no request is rebuilt per send (which would cost the load generator CPU).
  let nextClient = 0;
  const setupClient = (client: autocannon.Client): void => {
    const offset = nextClient++ % config.connections;
    client.setRequests(requests.filter((_, i) => i % config.connections === offset));
  };

  // autocannon's own histogram has whole-millisecond buckets; keep exact latencies of 2xx responses instead.
  let latencies = new Float64Array(1 << 20);
  let count = 0;
  const onResponse = (_client: autocannon.Client, statusCode: number, _bytes: number, responseTime: number): void => {
    if (statusCode < 200 || statusCode > 299) return;
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = responseTime;
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const options = { url: config.url, connections: config.connections, duration: config.seconds, setupClient };
    autocannon(options, (err, r) => (err ? reject(err) : resolve(r))).on('response', onResponse);
  });

  const sorted = latencies.subarray(0, count).sort();
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = s.count ?? 0;
  const out: LoadResult = {
    tool: 'autocannon',
    seconds: result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    socketErrors: result.errors,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    statusCodes,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`load driver failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});

import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { assertServable, type Config } from './config.js';
import { closeRuntime, openRuntime } from './runtime.js';
import { housekeepingJobs } from './schedule/jobs.js';
import { Scheduler } from './schedule/scheduler.js';
import type { Services } from './services.js';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  /** This node's scheduler: it takes part in running the registry's scheduled jobs once per period. */
  scheduler: Scheduler;
  url: string;
  close(): Promise<void>;
}

/** Opens the registry, listens, and shuts down gracefully on SIGINT/SIGTERM. */
export async function startServer(config: Readonly<Config>, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  assertServable(config);
  const services = await openRuntime(config);
  const app = await buildApp(services);
  const scheduler = new Scheduler(services.store.leases, services.clock, { log: app.log });
  for (const job of housekeepingJobs(services)) scheduler.add(job);
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      await scheduler.stop(); // lets a job under way finish
      await app.close(); // stops accepting, lets requests in flight finish
      await closeRuntime(services);
    })();
    return closing;
  };
  try {
    await app.listen({ port: config.http.port, host: config.http.host });
  } catch (e) {
    await closeRuntime(services);
    throw e;
  }
  scheduler.start();
  if (options.handleSignals !== false) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        app.log.info({ signal }, 'shutting down');
        close().then(
          () => process.exit(0),
          (e) => {
            app.log.error({ err: e }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  return { app, services, scheduler, url: `http://${host}:${port}`, close };
}

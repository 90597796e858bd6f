import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { type Config, loadConfig } from '../config.js';
import { type DemoData, seedDemo } from '../demo/seed.js';
import { closeRuntime, openRuntime } from '../runtime.js';

// The web server is loaded only by the commands that serve, so that other commands start quickly.
const loadServer = () => import('../server.js');

import { run } from './output.js';

interface ServeOptions {
  port?: number;
  host?: string;
}

const port = (value: string): number => {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n > 65535) throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
};

function configWith(o: ServeOptions, devIdpByDefault = false): Readonly<Config> {
  // --port and --host act like PORT and HOST, so the public URL and sign-in redirects follow them.
  return loadConfig(undefined, undefined, { port: o.port, host: o.host, devIdpByDefault });
}

function printDemo(demo: DemoData, url: string): void {
  const [bank, mfo] = demo.lenders;
  const banned = demo.citizens.find((c) => c.banned === 'yes');
  const lines = [
    '',
    'Demo data seeded (synthetic people; these IINs belong to no one).',
    '',
    'Lenders — the API keys are shown only now and are stored only as hashes:',
    ...demo.lenders.map((l) => `  ${l.name.padEnd(22)} ${l.type.padEnd(4)} BIN ${l.bin}  key ${l.apiKey}`),
    '',
    'Citizens:',
    ...demo.citizens.map((c) => `  ${c.iin}  banned: ${c.banned.padEnd(3)}  ${c.label}`),
    '',
    'Try a check:',
    `  curl -s ${url}/v1/checks -H 'Authorization: Bearer ${bank?.apiKey}' \\`,
    `    -H 'Content-Type: application/json' -d '{"iin":"${banned?.iin}","channel":"remote","reference":"demo-1"}'`,
    `  curl -s ${url}/v1/checks -H 'Authorization: Bearer ${mfo?.apiKey}' \\`,
    `    -H 'Content-Type: application/json' -d '{"iin":"${demo.citizens[4]?.iin}","channel":"in_person","reference":"demo-2"}'`,
    '',
    `API docs: ${url}/docs`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** A command that listens, with the --port and --host options every such command takes. */
function listening(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option('--port <n>', 'port (default: PORT or 8080)', port)
    .option('--host <h>', 'interface to listen on (default: HOST or 127.0.0.1)');
}

export function registerServeCommands(program: Command): void {
  listening(program, 'serve', 'run the HTTP service').action((o: ServeOptions) =>
    run(async () => {
      const { startServer } = await loadServer();
      const server = await startServer(configWith(o));
      server.app.log.info({ url: server.url, store: server.services.store.engine }, 'tyiym is serving');
    }),
  );

  listening(program, 'demo', 'seed demo data into an empty registry, then serve (npm start)').action((o: ServeOptions) =>
    run(async () => {
      // The demo brings its own development identity provider unless DEV_IDP says otherwise.
      const config = configWith(o, true);
      const seeding = await openRuntime(config);
      let demo: DemoData | null = null;
      try {
        if (await seeding.store.isEmpty()) demo = await seedDemo(seeding);
      } finally {
        await closeRuntime(seeding);
      }
      const { startServer } = await loadServer();
      const server = await startServer(config);
      if (demo) printDemo(demo, server.url);
      else process.stdout.write(`Existing data found; serving it without seeding.\n`);
      process.stdout.write(
        `Tyiym is serving on ${server.url} (store: ${config.database.kind === 'sqlite' ? config.database.path : 'postgres'}). Stop with Ctrl+C.\n`,
      );
    }),
  );
}

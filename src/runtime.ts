import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { loadSecrets, pepperFingerprint } from './secrets.js';
import { createServices, type Services } from './services.js';
import { openStore } from './store/open.js';

const warned = new WeakSet<Readonly<Config>>();

/** Weak settings taken outside production, said once per configuration on stderr, apart from a command's output. */
function warnOnce(config: Readonly<Config>): void {
  if (warned.has(config)) return;
  warned.add(config);
  for (const warning of config.warnings) process.stderr.write(`configuration warning: ${warning}\n`);
}

/** Opens the store and secrets named by the config and wires the services; shared by the server and the CLI. */
export async function openRuntime(config: Readonly<Config>, clock: Clock = systemClock): Promise<Services> {
  warnOnce(config);
  const secrets = loadSecrets(config);
  const store = await openStore(
    config.database,
    secrets.logKey === null ? null : { origin: config.log.origin, key: secrets.logKey },
  );
  try {
    await store.bindPepper(pepperFingerprint(secrets.pepper));
  } catch (e) {
    await store.close();
    throw e;
  }
  return createServices({ config, store, clock, secrets });
}

/** Waits for every acknowledged write, then closes the store. */
export async function closeRuntime(services: Services): Promise<void> {
  await services.checkWriter.drain();
  await services.store.close();
}

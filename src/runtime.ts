import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { loadSecrets, pepperFingerprint } from './secrets.js';
import { createServices, type Services } from './services.js';
import { openStore } from './store/open.js';

/** Opens the store and secrets named by the config and wires the services; shared by the server and the CLI. */
export async function openRuntime(config: Readonly<Config>, clock: Clock = systemClock): Promise<Services> {
  const secrets = loadSecrets(config);
  const store = openStore(config.database);
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

import { type Config, loadConfig } from '../config.js';
import { closeRuntime, openRuntime } from '../runtime.js';
import type { Services } from '../services.js';

/** Opens the registry for one CLI command and always closes it. */
export async function withServices<T>(body: (services: Services, config: Readonly<Config>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const services = await openRuntime(config);
  try {
    return await body(services, config);
  } finally {
    await closeRuntime(services);
  }
}

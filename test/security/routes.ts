import type { FastifyInstance } from 'fastify';

/** One method of one route, as the router holds it: `path` keeps `:param` and `*`. */
export interface AppRoute {
  method: string;
  path: string;
}

/**
 * Every route of a ready app, read from the router's own tree (`printRoutes`), so that a route
 * added anywhere is found without being named here. HEAD routes, which Fastify adds for every GET,
 * are left out unless `withHead`.
 */
export function appRoutes(app: FastifyInstance, options: { withHead?: boolean } = {}): AppRoute[] {
  const tree = app.printRoutes();
  const prefixes: string[] = [];
  const out: AppRoute[] = [];
  for (const line of tree.split('\n')) {
    const at = line.indexOf('── ');
    if (at < 0) continue;
    const depth = (at - 1) / 4;
    if (!Number.isInteger(depth)) throw new Error(`unexpected route tree line: ${JSON.stringify(line)}`);
    const m = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(at + 3));
    if (m === null) throw new Error(`unexpected route tree line: ${JSON.stringify(line)}`);
    const path = (depth === 0 ? '' : (prefixes[depth - 1] ?? '')) + (m[1] as string);
    prefixes[depth] = path;
    prefixes.length = depth + 1;
    for (const method of (m[2] ?? '').split(',').map((s) => s.trim())) {
      if (method === '' || (method === 'HEAD' && !options.withHead)) continue;
      out.push({ method, path });
    }
  }
  if (out.length === 0) throw new Error(`no routes read from:\n${tree}`);
  return out.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

export const routeKey = (r: AppRoute): string => `${r.method} ${r.path}`;

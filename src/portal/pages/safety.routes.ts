import { type PageRoutes, render } from '../render.js';

/** Advice on staying safe from loan fraud; open to everyone, signed in or not. */
export const safetyPages: PageRoutes = async (app) => {
  app.get('/safety', { schema: { hide: true } }, async (request, reply) =>
    render(request, reply, 'safety.njk', { pageTitle: request.tr.t('safety.title') }),
  );
};

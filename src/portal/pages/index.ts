import type { PageRoutes } from '../render.js';
import { authPages } from './auth.routes.js';
import { statusPages } from './status.routes.js';

/** The portal's journeys, each in its own file. */
export const PAGES: PageRoutes[] = [authPages, statusPages];

import type { PageRoutes } from '../render.js';
import { authPages } from './auth.routes.js';
import { exemptionPages } from './exemption.routes.js';
import { liftPages } from './lift.routes.js';
import { recordPages } from './record.routes.js';
import { restrictionPages } from './restriction.routes.js';
import { safetyPages } from './safety.routes.js';
import { statusPages } from './status.routes.js';

/** The portal's journeys, each in its own file. */
export const PAGES: PageRoutes[] = [
  authPages,
  statusPages,
  restrictionPages,
  liftPages,
  exemptionPages,
  recordPages,
  safetyPages,
];

// Progressive enhancement only: every page works without this file. Loaded as a module from
// our own origin, because the Content Security Policy allows no inline script.
import { initAll } from '/assets/govuk/govuk-frontend.min.js';

document.body.classList.add('js-enabled', 'govuk-frontend-supported');
initAll();

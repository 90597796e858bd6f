// Builds the portal's assets into dist/public: the stylesheet (GOV.UK Frontend with Tyiym's
// brand and font) and the enhancement script.
import fs from 'node:fs';
import * as sass from 'sass';

const out = new URL('../dist/public/', import.meta.url);
fs.mkdirSync(out, { recursive: true });
const css = sass.compile(new URL('../src/portal/assets/app.scss', import.meta.url).pathname, {
  loadPaths: [new URL('../node_modules/', import.meta.url).pathname],
  style: 'compressed',
  quietDeps: true,
  silenceDeprecations: ['import'],
});
fs.writeFileSync(new URL('app.css', out), css.css);
fs.copyFileSync(new URL('../src/portal/assets/app.mjs', import.meta.url), new URL('app.mjs', out));

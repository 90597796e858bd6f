export { buildApp } from './app.js';
export { loadConfig } from './config.js';
export { validateBin } from './identity/bin.js';
export { validateIin } from './identity/iin.js';
export { startServer } from './server.js';

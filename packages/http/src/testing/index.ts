export { createDevIssuer, type DevIssuer } from './dev-issuer.js';

export { sanitize } from './sanitize.js';
export { createTerminalTransport, type TerminalTransportOptions } from './terminal-transport.js';

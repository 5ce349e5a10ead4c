// The package's public API: the terminal transport and its sanitizer.
export { sanitize } from './sanitize.js';
export { createTerminalTransport, type TerminalTransportOptions } from './terminal-transport.js';

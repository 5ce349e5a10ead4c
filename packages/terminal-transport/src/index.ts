// The package's public API: the terminal transport and its sanitizer.

export type { TerminalTransportOptions } from './options.js';
export { sanitize } from './sanitize.js';
export { createTerminalTransport } from './terminal-transport.js';

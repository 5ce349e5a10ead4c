// Structured logs: one JSON object per line, with no field that could carry a credential.
import { scrubText } from '@countersign/core';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Field names never written, whatever a caller passes. */
const SECRET_FIELD = /token|secret|password|authorization|cookie|key|signature|csrf/i;

export function createJsonLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const log = (level: string, message: string, fields: Record<string, unknown> = {}) => {
    const safe: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(fields)) {
      safe[name] = SECRET_FIELD.test(name) ? '[REDACTED]' : scrubbed(value);
    }
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: scrubText(message), ...safe })}\n`);
  };
  return {
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}

/**
 * Free text is scrubbed of secret shapes: an error from a driver or a peer can quote a
 * connection string or a header it was given.
 */
function scrubbed(value: unknown): unknown {
  if (value instanceof Error) return scrubText(value.message);
  return typeof value === 'string' ? scrubText(value) : value;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

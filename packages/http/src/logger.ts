// Structured logs: one JSON object per line, with no field that could carry a credential.

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
      safe[name] = SECRET_FIELD.test(name) ? '[REDACTED]' : value instanceof Error ? value.message : value;
    }
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...safe })}\n`);
  };
  return {
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

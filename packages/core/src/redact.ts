// Redaction: secret shapes and secret-named keys scrubbed from params, keys and text before they leave.
import type { JsonObject, JsonValue } from './canonical-json.js';

export const REDACTED = '[REDACTED]';

/** Secret shapes scrubbed from every string that leaves the process, whatever its key. */
const SECRET_SHAPES: readonly { kind: string; pattern: RegExp }[] = [
  {
    kind: 'private-key',
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  },
  { kind: 'slack-token', pattern: /\bxox[abeoprs]-[A-Za-z0-9-]{8,}/g },
  { kind: 'slack-token', pattern: /\bxapp-\d-[A-Za-z0-9-]{8,}/g },
  { kind: 'aws-access-key', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g },
  { kind: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g },
  { kind: 'bearer', pattern: /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi },
  { kind: 'url-credentials', pattern: /(?<=\/\/)[^/\s:@]+:[^/\s@]+(?=@)/g },
  { kind: 'stripe-key', pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}/g },
  { kind: 'api-key', pattern: /\bsk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}/g },
  // `password=hunter2`, `token: abc`, `"apiKey": "…"` in free text, logs and error messages.
  {
    kind: 'assigned-secret',
    pattern:
      /(?<=\b(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret|private[_-]?key)["']?\s*[=:]\s*)(?:"[^"]*"|'[^']*'|[^\s&;,"']+)/gi,
  },
];
const SHORTEST_SECRET = 12;

/** Key names whose values are secrets whatever they look like (compared without case or separators). */
const SECRET_KEYS = new Set([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'clientsecret',
  'accesstoken',
  'refreshtoken',
  'sessiontoken',
  'idtoken',
  'authtoken',
  'authorization',
  'cookie',
  'setcookie',
  'credential',
  'credentials',
  'signingsecret',
  'awssecretaccesskey',
  'connectionstring',
]);
const SECRET_KEY_SUFFIXES = ['password', 'secret', 'token', 'apikey', 'privatekey', 'credentials'];

/** Plural secret-like keys that count things instead (`maxTokens`, `promptTokens`): not secrets. */
const COUNT_PREFIX =
  /^(?:max|min|num|total|input|output|prompt|completion|cached|remaining|used|count|reasoning)/;

function isSecretKey(key: string): boolean {
  const normalised = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (SECRET_KEYS.has(normalised)) return true;
  if (SECRET_KEY_SUFFIXES.some((suffix) => normalised.endsWith(suffix))) return true;
  // `tokens`, `apiKeys`, `passwords`: a list of secrets is secret, a count of tokens is not.
  if (!normalised.endsWith('s') || COUNT_PREFIX.test(normalised)) return false;
  const singular = normalised.slice(0, -1);
  return SECRET_KEYS.has(singular) || SECRET_KEY_SUFFIXES.some((suffix) => singular.endsWith(suffix));
}

/** Replaces every secret-shaped substring with `[REDACTED:<kind>]`. */
export function scrubText(text: string): string {
  if (text.length < SHORTEST_SECRET) return text;
  let out = text;
  for (const { kind, pattern } of SECRET_SHAPES) {
    pattern.lastIndex = 0;
    if (pattern.test(out)) {
      pattern.lastIndex = 0;
      out = out.replace(pattern, `[REDACTED:${kind}]`);
    }
  }
  return out;
}

export type Redactor = (params: JsonObject) => RedactionResult;

export interface RedactionResult {
  params: JsonObject;
  /** Paths whose values were replaced, e.g. `auth.token` or `rows[2].ssn`. */
  redactedPaths: string[];
}

/**
 * Builds a redactor from dot paths (`'auth.token'`, `'rows.*.ssn'`, `'*'` matching any one key
 * or index) plus the built-in secret detection, which always runs.
 */
export function createRedactor(paths: readonly string[] = []): Redactor {
  const patterns = paths.map((path) => path.split('.'));
  return (params) => {
    const redactedPaths: string[] = [];
    const out = redactValue(params, [], patterns, redactedPaths) as JsonObject;
    return { params: out, redactedPaths };
  };
}

function redactValue(
  value: JsonValue,
  path: string[],
  patterns: readonly string[][],
  redacted: string[],
): JsonValue {
  if (typeof value === 'string') {
    const scrubbed = scrubText(value);
    if (scrubbed !== value) redacted.push(formatPath(path));
    return scrubbed;
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    return value.map((item, i) => redactChild(item, [...path, String(i)], false, patterns, redacted));
  }
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    // Keys leave the process too (`{ routes: { "xoxb-…": "#deploys" } }`): scrubbed like values.
    const shown = uniqueKey(out, scrubText(key));
    if (shown !== key) redacted.push(formatPath([...path, shown]));
    out[shown] = redactChild(child, [...path, shown], isSecretKey(key), patterns, redacted);
  }
  return out;
}

function redactChild(
  value: JsonValue,
  path: string[],
  secretKey: boolean,
  patterns: readonly string[][],
  redacted: string[],
): JsonValue {
  if (secretKey || patterns.some((pattern) => matchesPath(pattern, path))) {
    redacted.push(formatPath(path));
    return REDACTED;
  }
  return redactValue(value, path, patterns, redacted);
}

/** Two keys scrubbed to the same text stay two members: `[REDACTED:jwt]`, `[REDACTED:jwt]#2`. */
function uniqueKey(out: JsonObject, key: string): string {
  if (!Object.hasOwn(out, key)) return key;
  let n = 2;
  while (Object.hasOwn(out, `${key}#${n}`)) n++;
  return `${key}#${n}`;
}

function matchesPath(pattern: readonly string[], path: readonly string[]): boolean {
  if (pattern.length !== path.length) return false;
  return pattern.every((segment, i) => segment === '*' || segment === path[i]);
}

function formatPath(path: readonly string[]): string {
  return path
    .map((segment, i) => (/^\d+$/.test(segment) ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join('');
}

/** An error as audit entries and transports may show it: scrubbed of secrets, at most 500 characters. */
export function errorText(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    text = 'an unprintable value was thrown';
  }
  return scrubText(text).slice(0, 500);
}

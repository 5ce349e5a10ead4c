// Redaction: secret shapes and secret-named keys scrubbed from params, keys and text before they leave.
import type { JsonObject, JsonValue } from './canonical-json.js';

export const REDACTED = '[REDACTED]';

/**
 * A secret shape. `pattern` (global) finds the secret itself; or, with `value`, what introduces one
 * (kept: `-p` of a mysql command, `password=`), the secret being what the sticky `value` reads right
 * after it, or up to the closing quote when the introduction opened one (a `quote` group). A `key`
 * group must name a secret ({@link isSecretKey}), else the text goes on being searched after it.
 * Each `pattern` is linear-time: every repetition is bounded or stops at a character it cannot take,
 * and none starts with a lookbehind that repeats (it would be read back from every position).
 */
export interface SecretShape {
  kind: string;
  pattern: RegExp;
  value?: RegExp;
  /** No text shorter than this can hold a match. */
  min: number;
  /** Substrings every match holds one of: text with none of them is not searched at all. */
  hints?: readonly string[];
  /** For a shape without `hints`: words every match holds in some case, read only by the prefilter. */
  anyCase?: readonly string[];
}

/** A value as free text writes it: quoted, or up to whitespace or a separator. */
const ASSIGNED = /"[^"]*"|'[^']*'|[^\s&;,"']+/y;
/** One shell word. */
const SHELL_WORD = /"[^"]*"|'[^']*'|[^\s"'|;&]+/y;
const UNQUOTED = /[^\s"']+/y;
const ONLY_A_MARKER = /^(["']?)\[REDACTED(?::[a-z-]+)?\]\1$/;
const TO_QUOTE: Readonly<Record<string, RegExp>> = { '"': /[^"\n]+/y, "'": /[^'\n]+/y };

/** Secret shapes scrubbed from every string that leaves the process, whatever its key; in this order. */
export const SECRET_SHAPES: readonly SecretShape[] = [
  {
    kind: 'private-key',
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    min: 12,
    hints: ['-----BEGIN '],
  },
  { kind: 'slack-token', pattern: /\bxox[abeoprs]-[A-Za-z0-9-]{8,}/g, min: 13, hints: ['xox'] },
  { kind: 'slack-token', pattern: /\bxapp-\d-[A-Za-z0-9-]{8,}/g, min: 15, hints: ['xapp-'] },
  {
    kind: 'aws-access-key',
    pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g,
    min: 20,
    hints: ['AKIA', 'ASIA', 'AGPA', 'AIDA', 'AROA'],
  },
  {
    kind: 'jwt',
    pattern: /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
    min: 13,
    hints: ['eyJ'],
  },
  {
    kind: 'github-token',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g,
    min: 34,
    hints: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
  },
  {
    kind: 'bearer',
    pattern: /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
    min: 14,
    anyCase: ['bearer', 'basic'],
  },
  { kind: 'url-credentials', pattern: /(?<=\/\/)[^/\s:@]+:[^/\s@]+(?=@)/g, min: 6, hints: ['@'] },
  {
    kind: 'stripe-key',
    pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}/g,
    min: 18,
    hints: ['_live_', '_test_'],
  },
  {
    kind: 'api-key',
    pattern: /\bsk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}/g,
    min: 23,
    hints: ['sk-'],
  },
  { kind: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}/g, min: 39, hints: ['AIza'] },
  { kind: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g, min: 40, hints: ['npm_'] },
  // `curl -u user:password` (the user stays); `curl -u user` alone prompts, and shows nothing secret.
  {
    kind: 'curl-credentials',
    pattern:
      /\bcurl\b[^\n;|&]{0,400}?\s(?:--(?:proxy-)?user[\s=]\s*|-[A-Za-z]{0,6}[uU]\s*)(?<quote>["']?)[^\s:"']*:/g,
    value: UNQUOTED,
    min: 9,
    hints: ['curl'],
  },
  // `mysql -pPASSWORD`; a bare `-p` prompts, and `-p db` names a database.
  {
    kind: 'mysql-password',
    pattern: /\b(?:mysql|mariadb)[\w-]{0,16}(?=\s)[^\n;|&]{0,400}?\s-p(?=\S)/g,
    value: SHELL_WORD,
    min: 9,
    hints: ['mysql', 'mariadb'],
  },
  {
    kind: 'aws-cli-secret',
    pattern: /\baws\s+configure\s+set\s+(?:--profile[\s=][\w.-]+\s+)?(?<key>[\w.-]+)\s+/g,
    value: SHELL_WORD,
    min: 21,
    hints: ['configure'],
  },
  // `password=hunter2`, `export AWS_SECRET_ACCESS_KEY=…`, `"apiKey": "…"`: any secret-named key, as in params.
  {
    kind: 'assigned-secret',
    // Found at its `=` or `:` (not a URL's `https://`), the key then read backwards from there: each
    // run of text is read back from one separator at most.
    pattern: /[=:](?!\/\/)(?<=(?<![\w.-])(?<key>[\w.-]+)["']?\s*[=:])\s*/g,
    value: ASSIGNED,
    min: 5,
    hints: ['=', ':'],
  },
];
/**
 * Shorter texts are not searched, as before these shapes were added: a guarded call's short params
 * (`customers`, `csv`) then cost one length check. What fits in 11 characters with what introduces
 * it (`pwd=hunter2`) is left.
 */
const SHORTEST_SEARCHED = 12;
const LONGEST_MIN = Math.max(...SECRET_SHAPES.map((shape) => shape.min));
/** For each length below the longest `min`, the shapes a text that long can hold, in order. */
const SHAPES_FITTING: readonly (readonly SecretShape[])[] = Array.from({ length: LONGEST_MIN }, (_, length) =>
  SECRET_SHAPES.filter((shape) => shape.min <= length),
);

/**
 * Text that holds none of any shape's hints (compared without case, a superset of what each shape's
 * own check finds) holds no secret shape: one test instead of one per shape.
 */
const PREFILTER = new RegExp(
  [...new Set(SECRET_SHAPES.flatMap((shape) => shape.hints ?? shape.anyCase ?? ['']))]
    .map((hint) => hint.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'))
    .join('|'),
  'i',
);

/** Whether `text` may hold a secret shape; when false, {@link scrubText} returns it unchanged. */
export function mayHoldSecret(text: string): boolean {
  return text.length >= SHORTEST_SEARCHED && PREFILTER.test(text);
}

/** A key without separators that holds none of these cannot name a secret ({@link isSecretKey}). */
const KEY_HINT = /pass|pwd|secret|token|key|auth|cookie|credential|connection/i;
const ALPHANUMERIC = /^[A-Za-z0-9]*$/;

/**
 * Whether redaction must look at a params key: it may name a secret (its value is then replaced)
 * or hold a secret shape itself. False only when neither can be.
 */
export function mayBeSecretKey(key: string): boolean {
  if (ALPHANUMERIC.test(key) ? KEY_HINT.test(key) : isSecretKey(key)) return true;
  return mayHoldSecret(key);
}

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
const SECRET_KEY_SUFFIXES = [
  'password',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'secretkey',
  'accesskey',
  'privatekey',
  'credentials',
];

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
  if (!mayHoldSecret(text)) return text;
  let out = text;
  for (const shape of SHAPES_FITTING[text.length] ?? SECRET_SHAPES) {
    if (mayHold(out, shape.hints)) out = scrubShape(out, shape);
  }
  return out;
}

/** Whether `text` holds one of a shape's hints: a substring search costs less than running the pattern. */
function mayHold(text: string, hints: readonly string[] | undefined): boolean {
  if (hints === undefined) return true;
  for (const hint of hints) if (text.includes(hint)) return true;
  return false;
}

function scrubShape(text: string, { kind, pattern, value }: SecretShape): string {
  const marker = `[REDACTED:${kind}]`;
  let out = '';
  let copied = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const end = match.index + match[0].length;
    if (end === match.index) pattern.lastIndex += 1;
    if (value === undefined) {
      out += text.slice(copied, match.index) + marker;
      copied = end;
      continue;
    }
    const key = match.groups?.key;
    if (key !== undefined && !isSecretKey(key)) continue;
    const reader = TO_QUOTE[match.groups?.quote ?? ''] ?? value;
    reader.lastIndex = end;
    const secret = reader.exec(text);
    // Already scrubbed (`Authorization: [REDACTED:bearer]`): its kind says more than this one.
    if (secret === null || ONLY_A_MARKER.test(secret[0])) continue;
    out += text.slice(copied, end) + marker;
    copied = end + secret[0].length;
    pattern.lastIndex = copied;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Replaces every occurrence of each of `values` (exact strings core knows are secret, such as
 * issued credentials), as written, URI-encoded or JSON-escaped, with `[REDACTED:credential]`.
 * Empty strings are ignored; the caller decides which values are long enough to be worth it.
 */
export function scrubValues(text: string, values: readonly string[]): string {
  if (values.length === 0) return text;
  const forms = new Set<string>();
  for (const value of values) {
    if (value.length === 0) continue;
    forms.add(value);
    forms.add(JSON.stringify(value).slice(1, -1));
    try {
      forms.add(encodeURIComponent(value));
    } catch {
      // A lone surrogate cannot be URI-encoded, so it cannot appear URI-encoded either.
    }
  }
  // Longest first, so a value holding another (a connection string holding its password) goes whole.
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (out.includes(form)) out = out.replaceAll(form, '[REDACTED:credential]');
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

/**
 * An error as audit entries and transports may show it: scrubbed of secrets, first of `secrets`
 * (see {@link scrubValues}), then cut to at most 500 characters, so no secret is left half-cut.
 */
export function errorText(error: unknown, secrets: readonly string[] = []): string {
  let text: string;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    text = 'an unprintable value was thrown';
  }
  return scrubText(scrubValues(text, secrets)).slice(0, 500);
}

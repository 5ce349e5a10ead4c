// The emulator's HTTP side: reading Web API requests and writing Slack-shaped answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRecord } from './blocks.js';
import { SlackEmulatorError } from './errors.js';

/** Upper bound on a Web API request body; Slack rejects larger bodies too. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Fields Slack accepts as JSON-encoded strings in form bodies; decoded in call records. */
const JSON_FIELDS = ['blocks', 'attachments', 'view', 'metadata'] as const;

/** Arguments of a Web API request and what Slack would say about its encoding. */
export interface ParsedArgs {
  readonly args: Record<string, unknown>;
  readonly queryArgs: Record<string, unknown>;
  readonly isJson: boolean;
  readonly warning: 'missing_charset' | 'superfluous_charset' | undefined;
  readonly postTypeError: 'invalid_json' | 'json_not_object' | 'invalid_post_type' | undefined;
}

/**
 * Reads arguments the way Slack does: query string plus a form or JSON body. JSON bodies are flagged because
 * Slack ignores a `token` inside them and some methods do not read them at all.
 */
export function parseArgs(url: URL, contentType: string | undefined, body: string): ParsedArgs {
  const queryArgs = Object.fromEntries(url.searchParams);
  const [mediaType = '', ...parameters] = (contentType ?? '')
    .split(';')
    .map((part) => part.trim().toLowerCase());
  const hasCharset = parameters.some((parameter) => parameter.startsWith('charset='));
  const base = { queryArgs, isJson: false, warning: undefined, postTypeError: undefined } as const;
  if (body === '') return { ...base, args: queryArgs };
  if (mediaType === 'application/x-www-form-urlencoded') {
    return {
      ...base,
      args: { ...queryArgs, ...Object.fromEntries(new URLSearchParams(body)) },
      warning: hasCharset ? 'superfluous_charset' : undefined,
    };
  }
  if (mediaType === 'application/json') {
    const warning = hasCharset ? undefined : 'missing_charset';
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return { ...base, isJson: true, args: queryArgs, warning, postTypeError: 'invalid_json' };
    }
    if (!isRecord(json)) {
      return { ...base, isJson: true, args: queryArgs, warning, postTypeError: 'json_not_object' };
    }
    return { ...base, isJson: true, args: { ...queryArgs, ...json }, warning };
  }
  return { ...base, args: queryArgs, postTypeError: 'invalid_post_type' };
}

/** The `warning` and `response_metadata.warnings` Slack adds for a charset problem. */
export function charsetWarning(warning: string): Record<string, unknown> {
  return { warning, response_metadata: { warnings: [warning] } };
}

/** The token of an `Authorization: Bearer` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

/** `value` when it is a string. */
export function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A copy of `args` with JSON-encoded fields decoded, for call records. */
export function decodeJsonFields(args: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const decoded: Record<string, unknown> = { ...args };
  for (const field of JSON_FIELDS) {
    const value = decoded[field];
    if (typeof value !== 'string') continue;
    try {
      decoded[field] = JSON.parse(value);
    } catch {
      // Left as sent: the method answers the malformed value with its own error.
    }
  }
  return decoded;
}

/** `body` parsed as a JSON object, else `undefined`. */
export function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a request body as UTF-8, refusing bodies above the size limit. */
export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.destroy(new SlackEmulatorError('request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Writes a JSON answer with Slack's content type. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: Readonly<Record<string, unknown>>,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  response.end(text);
}

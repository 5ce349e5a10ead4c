// The documented answers to an adaptiveCard/action invoke, and what the clicker sees of the bot's.
import { MESSAGE_LIMIT_NOTE, utf16Bytes } from './message-size.js';

export const CARD_TYPE = 'application/vnd.microsoft.card.adaptive';
const MESSAGE_TYPE = 'application/vnd.microsoft.activity.message';
const ERROR_TYPE = 'application/vnd.microsoft.error';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isCard = (value: unknown) => isRecord(value) && value.type === 'AdaptiveCard';
const isError = (value: unknown) =>
  isRecord(value) && typeof value.code === 'string' && typeof value.message === 'string';

/**
 * The Universal Action Model's table of `statusCode`, `type` and `value`: nothing else is an answer
 * Teams acts on. (The table spells the card type `application/vnd.microsoft.adaptive.card`; Teams and
 * the Bot Framework SDKs use `application/vnd.microsoft.card.adaptive`, as here.)
 * https://learn.microsoft.com/adaptive-cards/authoring-cards/universal-action-model#response-format
 */
const DOCUMENTED: readonly {
  statusCode: number;
  type: string;
  value: (value: unknown) => boolean;
  shape: string;
}[] = [
  { statusCode: 200, type: CARD_TYPE, value: isCard, shape: 'an Adaptive Card' },
  { statusCode: 200, type: MESSAGE_TYPE, value: (v) => typeof v === 'string', shape: 'a string' },
  { statusCode: 400, type: ERROR_TYPE, value: isError, shape: 'an error { code, message }' },
  {
    statusCode: 401,
    type: 'application/vnd.microsoft.activity.loginRequest',
    value: isRecord,
    shape: 'an OAuthCard',
  },
  {
    statusCode: 401,
    type: 'application/vnd.microsoft.error.incorrectAuthCode',
    value: (v) => v === null || v === undefined,
    shape: 'null',
  },
  {
    statusCode: 412,
    type: 'application/vnd.microsoft.error.preconditionFailed',
    value: isError,
    shape: 'an error { code, message }',
  },
  { statusCode: 500, type: ERROR_TYPE, value: isError, shape: 'an error { code, message }' },
];

/** The bot's answer to a click as Teams takes it. */
export interface InvokeAnswer {
  /** The invoke response as the bot sent it, when the body is one (even one Teams refuses). */
  invokeResponse: { statusCode: number; type: string; value: unknown } | null;
  /** Why Teams would refuse the answer; empty when it is fine. */
  problems: readonly string[];
  /** The card the clicker now sees, when the bot answered with one Teams accepts. */
  card: Record<string, unknown> | null;
  /** The message the clicker is shown, when the bot answered with one Teams accepts. */
  message: string | null;
}

/**
 * Checks an HTTP answer to an invoke against the documented response: HTTP 200 with a JSON
 * `{ statusCode, type, value }` from {@link DOCUMENTED} (a missing `statusCode` means 200), within
 * the message size limit. An answer Teams would refuse shows the clicker nothing of it.
 */
export function readInvokeAnswer(status: number, text: string, maxBytes: number): InvokeAnswer {
  if (status !== 200) return { invokeResponse: null, problems: [], card: null, message: null };
  const problems: string[] = [];
  if (utf16Bytes(text) > maxBytes) {
    problems.push(
      `answer is ${utf16Bytes(text)} bytes as UTF-16, over the ${maxBytes} ${MESSAGE_LIMIT_NOTE}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!isRecord(json)) {
    problems.push(json === undefined ? 'body is not JSON' : 'body is not an object');
    return { invokeResponse: null, problems, card: null, message: null };
  }
  const statusCode = json.statusCode ?? 200;
  const invokeResponse = { statusCode: Number(statusCode), type: String(json.type), value: json.value };
  const rows = DOCUMENTED.filter((row) => row.statusCode === statusCode && row.type === json.type);
  if (rows.length === 0) {
    problems.push(
      `statusCode ${String(statusCode)} with type ${String(json.type)} is not in the Universal Action Model's table`,
    );
  } else if (!rows.some((row) => row.value(json.value))) {
    problems.push(`value is not ${rows[0]!.shape}`);
  }
  if (problems.length > 0) return { invokeResponse, problems, card: null, message: null };
  const value = json.value;
  return {
    invokeResponse,
    problems,
    card: json.type === CARD_TYPE && isRecord(value) ? value : null,
    message:
      typeof value === 'string'
        ? value
        : isRecord(value) && typeof value.message === 'string'
          ? value.message
          : null,
  };
}

// createSlackTransport's options, and their check: unknown keys and wrong values are ConfigErrors naming the key.
import { type Clock, ConfigError } from '@countersign/core';
import type { ResolveApprover } from './approver-identity.js';
import type { SlackTransportLogger } from './slack-api.js';

export interface SlackTransportOptions {
  /** Bot token (`xoxb-…`) with the `chat:write` and `users:read` scopes. */
  token: string;
  /** The app's signing secret; every click is verified against it. */
  signingSecret: string;
  /** Channel id (`C…`) where requests are posted. Invite the bot to it. */
  channel: string;
  /** The workspace id (`T…`). Clicks from any other workspace are refused. */
  teamId: string;
  /** Web API base URL. Default `https://slack.com/api/`; tests point it at the emulator. */
  slackApiUrl?: string | undefined;
  /**
   * Maps the Slack account that clicked to a directory identity, or null to refuse it. Default
   * `slack:TEAM:USER`. Deleted and bot users are refused before this is called.
   */
  resolveApprover?: ResolveApprover | undefined;
  /** Time source for signature windows and rate-limit waits. Default: the clock core hands over. */
  clock?: Clock | undefined;
  /** Largest interaction body accepted, checked before hashing. Default 65536. */
  maxBodyBytes?: number | undefined;
  /** Per-call HTTP timeout for the Web API, in milliseconds. Default 10000. */
  requestTimeoutMs?: number | undefined;
  /** Transport name, unique per countersign instance. Default `'slack'`. */
  name?: string | undefined;
  /** Where problems are reported, the Web API client's own included. Default `console`. */
  logger?: SlackTransportLogger | undefined;
  /**
   * Send the person the agent acts for (`onBehalfOf`, a `slack:TEAM:USER` identity of this
   * workspace) a direct message when their request is approved, denied, expires or is cancelled.
   * Default false.
   */
  notifyRequester?: boolean | undefined;
  /**
   * The approval server's base URL (`@countersign/http`'s `publicUrl`, with the inbox on). A message
   * that cuts params or a reason to fit then links to the request's inbox page,
   * `<publicUrl>/inbox/requests/<id>`, which shows everything. Without it, the message still says
   * what it cut, unlinked.
   */
  publicUrl?: string | undefined;
}

/** Every option, once: the compiler keeps this in step with {@link SlackTransportOptions}. */
const KNOWN: Readonly<Record<keyof SlackTransportOptions, true>> = {
  token: true,
  signingSecret: true,
  channel: true,
  teamId: true,
  slackApiUrl: true,
  resolveApprover: true,
  clock: true,
  maxBodyBytes: true,
  requestTimeoutMs: true,
  name: true,
  logger: true,
  notifyRequester: true,
  publicUrl: true,
};
const KNOWN_KEYS = Object.keys(KNOWN);

/** The options with their defaults applied. Values are never quoted: two of them are secrets. */
export interface CheckedOptions extends SlackTransportOptions {
  maxBodyBytes: number;
  requestTimeoutMs: number;
  name: string;
  logger: SlackTransportLogger;
}

/** CountersignError puts `[countersign]` in front; the plugin adds its own name. */
function invalid(message: string): never {
  throw new ConfigError(`[slack] ${message}`);
}

const isFunction = (value: unknown) => typeof value === 'function';
const isHttpUrl = (value: unknown) =>
  typeof value === 'string' && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);

export function checkOptions(options: SlackTransportOptions): CheckedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    invalid('createSlackTransport needs an options object');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.includes(key)) {
      invalid(`unknown option ${JSON.stringify(key)}; the options are ${KNOWN_KEYS.join(', ')}`);
    }
  }
  for (const key of ['token', 'signingSecret', 'channel', 'teamId'] as const) {
    if (typeof options[key] !== 'string' || options[key].length === 0) invalid(`${key} is required`);
  }
  const { slackApiUrl, resolveApprover, clock, logger, name, publicUrl } = options;
  if (slackApiUrl !== undefined && (typeof slackApiUrl !== 'string' || !URL.canParse(slackApiUrl))) {
    invalid('slackApiUrl must be an absolute URL such as https://slack.com/api/');
  }
  if (publicUrl !== undefined && !isHttpUrl(publicUrl)) {
    invalid('publicUrl must be an http(s) URL such as https://approvals.example.com');
  }
  if (resolveApprover !== undefined && !isFunction(resolveApprover)) {
    invalid('resolveApprover must be a function');
  }
  if (
    clock !== undefined &&
    (typeof clock !== 'object' ||
      clock === null ||
      !isFunction(clock.now) ||
      !isFunction(clock.setTimeout) ||
      !isFunction(clock.clearTimeout))
  ) {
    invalid('clock must have now, setTimeout and clearTimeout');
  }
  if (
    logger !== undefined &&
    (typeof logger !== 'object' || logger === null || !isFunction(logger.warn) || !isFunction(logger.error))
  ) {
    invalid('logger must have warn and error functions');
  }
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    invalid('name must be a non-empty string');
  }
  if (options.notifyRequester !== undefined && typeof options.notifyRequester !== 'boolean') {
    invalid('notifyRequester must be true or false');
  }
  const maxBodyBytes = options.maxBodyBytes ?? 65_536;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1_024) {
    invalid('maxBodyBytes must be an integer of at least 1024');
  }
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1) {
    invalid('requestTimeoutMs must be a positive integer (milliseconds)');
  }
  return {
    ...options,
    maxBodyBytes,
    requestTimeoutMs,
    name: name ?? 'slack',
    logger: logger ?? console,
  };
}

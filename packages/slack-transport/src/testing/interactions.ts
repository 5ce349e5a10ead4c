// Sending interactions to the app as Slack does: payloads, signing, forgeries for tests.
import { type ClientRequest, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { isRecord, type SlackBlock } from './blocks.js';
import { SlackEmulatorError } from './errors.js';
import type { InteractionResult, SlackMessage, ViewEntry } from './recording.js';
import { signSlackRequest } from './signing.js';

/** Slack considers an interaction unacknowledged if the app has not answered 200 within 3 seconds. */
export const ACK_DEADLINE_MS = 3_000;

/** The `team` object of interaction payloads. */
export interface PayloadTeam {
  id: string;
  domain: string;
}

/** The `user` object of interaction payloads. */
export interface PayloadUser {
  id: string;
  username: string;
  name: string;
  team_id: string;
}

/** One entry of `actions` for a button click. */
export interface ButtonActionPayload {
  type: 'button';
  action_id: string;
  block_id: string;
  text: unknown;
  value?: string;
  style?: string;
  action_ts: string;
}

/**
 * The `block_actions` payload Slack sends when a user clicks a button in a message, as documented at
 * https://docs.slack.dev/reference/interaction-payloads/block_actions-payload. Mutable so that tests can
 * forge it through `mutate`.
 */
export interface BlockActionsPayload {
  type: 'block_actions';
  user: PayloadUser;
  api_app_id: string;
  /** Deprecated verification token. */
  token: string;
  container: { type: 'message'; message_ts: string; channel_id: string; is_ephemeral: boolean };
  trigger_id: string;
  team: PayloadTeam | null;
  enterprise: null;
  is_enterprise_install: boolean;
  channel: { id: string; name: string };
  /** The clicked message; absent for ephemeral messages, which Slack does not store. */
  message?: SlackMessage;
  state: { values: Record<string, Record<string, unknown>> };
  response_url: string;
  actions: ButtonActionPayload[];
  [extra: string]: unknown;
}

/** The `view_submission` payload Slack sends when a user submits a modal. */
export interface ViewSubmissionPayload {
  type: 'view_submission';
  team: PayloadTeam | null;
  user: PayloadUser;
  api_app_id: string;
  token: string;
  trigger_id: string;
  view: Record<string, unknown> & { state: { values: Record<string, Record<string, unknown>> } };
  response_urls: unknown[];
  enterprise: null;
  is_enterprise_install: boolean;
  [extra: string]: unknown;
}

/** Options shared by `click` and `submitView` to forge what Slack would send. */
export interface ForgeryOptions<Payload> {
  /** Replaces the payload's `team` (e.g. to pretend the request comes from another workspace). */
  readonly team?: PayloadTeam | undefined;
  /** Unix seconds sent as `X-Slack-Request-Timestamp` and signed. Defaults to the emulator clock. */
  readonly timestamp?: number | undefined;
  /** Sign with this secret instead of the emulator's signing secret. */
  readonly signingSecret?: string | undefined;
  /** Sends this `X-Slack-Signature` verbatim instead of the computed one. */
  readonly signature?: string | undefined;
  /** Edits the payload in place (it is a private copy) before it is serialized and signed. */
  readonly mutate?: ((payload: Payload) => void) | undefined;
  /** Rewrites the raw body after signing, as an attacker in the middle would. */
  readonly tamperBody?: ((rawBody: string) => string) | undefined;
  /** Deliver to this URL instead of the configured interaction URL. */
  readonly url?: string | undefined;
}

/** A button located in a message's blocks. */
export interface LocatedButton {
  readonly blockId: string;
  readonly element: Readonly<Record<string, unknown>>;
}

/**
 * Finds a button by `action_id` (and optionally `block_id`) in `actions` blocks and section accessories,
 * the places Slack renders clickable message buttons.
 */
export function findButton(
  blocks: readonly SlackBlock[] | undefined,
  actionId: string,
  blockId?: string,
): LocatedButton | undefined {
  for (const block of blocks ?? []) {
    if (blockId !== undefined && block.block_id !== blockId) continue;
    const candidates: unknown[] = [];
    if (block.type === 'actions' && Array.isArray(block.elements)) candidates.push(...block.elements);
    if (block.type === 'section' && block.accessory !== undefined) candidates.push(block.accessory);
    for (const element of candidates) {
      if (isRecord(element) && element.type === 'button' && element.action_id === actionId) {
        return { blockId: block.block_id ?? '', element };
      }
    }
  }
  return undefined;
}

/** Everything needed to sign and send one interaction. */
export interface DeliveryRequest<Payload extends Record<string, unknown>> {
  readonly type: InteractionResult['type'];
  readonly url: string;
  readonly payload: Payload;
  readonly signingSecret: string;
  readonly timestamp: number;
  readonly forgery: ForgeryOptions<Payload>;
  readonly triggerId: string;
  readonly responseUrl: string | undefined;
  /** Registers the in-flight request so that closing the emulator can abort it. */
  readonly track: (request: ClientRequest) => () => void;
}

/**
 * Serializes, signs and POSTs an interaction exactly as Slack does: `application/x-www-form-urlencoded`
 * body `payload=<JSON>`, with `X-Slack-Request-Timestamp` and `X-Slack-Signature` headers. Uses a fresh
 * connection (no keep-alive) so the app's server can close without waiting for the emulator.
 */
export async function deliverInteraction<Payload extends Record<string, unknown>>(
  delivery: DeliveryRequest<Payload>,
): Promise<InteractionResult> {
  const { forgery } = delivery;
  const payload: Record<string, unknown> = structuredClone(delivery.payload);
  if (forgery.team !== undefined) payload.team = { ...forgery.team };
  forgery.mutate?.(payload as Payload);
  const signedBody = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const signed = signSlackRequest({
    signingSecret: forgery.signingSecret ?? delivery.signingSecret,
    body: signedBody,
    timestamp: forgery.timestamp ?? delivery.timestamp,
  });
  const rawBody = forgery.tamperBody === undefined ? signedBody : forgery.tamperBody(signedBody);
  const requestHeaders: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(Buffer.byteLength(rawBody)),
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    'x-slack-request-timestamp': signed.headers['x-slack-request-timestamp'],
    'x-slack-signature': forgery.signature ?? signed.signature,
  };
  const started = performance.now();
  const response = await post(forgery.url ?? delivery.url, rawBody, requestHeaders, delivery.track);
  const elapsedMs = performance.now() - started;
  return {
    type: delivery.type,
    payload,
    rawBody,
    requestHeaders,
    status: response.status,
    body: response.body,
    json: parseJson(response.body, response.headers),
    elapsedMs,
    acknowledged: response.status === 200 && elapsedMs <= ACK_DEADLINE_MS,
    triggerId: delivery.triggerId,
    responseUrl: delivery.responseUrl,
  };
}

function parseJson(body: string, headers: IncomingHttpHeaders): unknown {
  if (body.trim() === '') return undefined;
  const type = headers['content-type'] ?? '';
  const looksJson = type.includes('json') || /^\s*[{[]/.test(body);
  if (!looksJson) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function post(
  url: string,
  body: string,
  headers: Readonly<Record<string, string>>,
  track: (request: ClientRequest) => () => void,
): Promise<RawResponse> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(target, { method: 'POST', headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        untrack();
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      response.on('error', (error) => {
        untrack();
        reject(error);
      });
    });
    const untrack = track(request);
    request.on('error', (error) => {
      untrack();
      reject(
        new SlackEmulatorError(`could not deliver the interaction to ${url}: ${error.message}`, {
          cause: error,
        }),
      );
    });
    request.end(body);
  });
}

/** A value in `view.state.values`: a full element state, or a string for a `plain_text_input`. */
export type ViewStateInput = string | Readonly<Record<string, unknown>>;

/**
 * Builds `view.state.values` for a submission: every input block of the view appears, filled from `given`
 * (strings become `{ type, value }`) or with `value: null` when optional. Throws when `given` names a block or
 * action the view does not have, or leaves a required input empty, since Slack's client would not submit.
 */
export function viewStateValues(
  entry: ViewEntry,
  given: Readonly<Record<string, Readonly<Record<string, ViewStateInput>>>>,
): Record<string, Record<string, unknown>> {
  const inputs = new Map<string, { actionId: string; type: string; optional: boolean }>();
  for (const block of entry.view.blocks) {
    if (block.type !== 'input' || !isRecord(block.element)) continue;
    inputs.set(block.block_id ?? '', {
      actionId: String(block.element.action_id),
      type: String(block.element.type),
      optional: block.optional === true,
    });
  }
  const values: Record<string, Record<string, unknown>> = {};
  for (const [blockId, actions] of Object.entries(given)) {
    const input = inputs.get(blockId);
    if (input === undefined) throw new SlackEmulatorError(`view ${entry.id} has no input block "${blockId}"`);
    for (const [actionId, value] of Object.entries(actions)) {
      if (actionId !== input.actionId) {
        throw new SlackEmulatorError(
          `input block "${blockId}" has action_id "${input.actionId}", not "${actionId}"`,
        );
      }
      values[blockId] = {
        [actionId]: typeof value === 'string' ? { type: input.type, value } : { ...value },
      };
    }
  }
  for (const [blockId, input] of inputs) {
    if (values[blockId] !== undefined) continue;
    if (!input.optional) {
      throw new SlackEmulatorError(
        `required input block "${blockId}" is empty; Slack would not submit the view`,
      );
    }
    values[blockId] = { [input.actionId]: { type: input.type, value: null } };
  }
  return values;
}

// A transport that posts Standard Webhooks-signed CloudEvents for every step of a request.
import {
  type ApprovalRequest,
  type Clock,
  ConfigError,
  CountersignError,
  type DeliveryContext,
  type DeliveryReceipt,
  ErrorCode,
  systemClock,
  type Transport,
  type TransportHost,
} from '@countersign/core';
import { type CountersignCloudEvent, eventsFor, type RequestEventType, requestEvent } from './cloud-event.js';
import { approvalUrl } from './decision-api.js';
import { checkKeys } from './options.js';
import { createWebhookSigner } from './webhook-signature.js';

export interface WebhookTransportLogger {
  warn(message: string, fields: Record<string, unknown>): void;
}

export interface WebhookTransportOptions {
  /** The receiver's endpoint. `https:` unless it is a loopback address. */
  url: string;
  /** A `whsec_` secret: events are signed `v1` (HMAC-SHA256). */
  secret?: string | undefined;
  /** A `whsk_` Ed25519 private key: events are signed `v1a`. Give receivers `webhookPublicKey(privateKey)`. */
  privateKey?: string | undefined;
  /** The CloudEvents `source`. Default `'urn:countersign'`. */
  source?: string | undefined;
  /** The inbox's base URL, to put each request's approval URL in its events. */
  publicUrl?: string | undefined;
  /** Attempts per event, the first included. Default 5. */
  maxAttempts?: number | undefined;
  /** First retry delay in milliseconds, doubled each time with jitter. Default 500. */
  backoffMs?: number | undefined;
  /** Per-attempt timeout in milliseconds. Default 15000 (Standard Webhooks suggests 15-30 s). */
  timeoutMs?: number | undefined;
  /** Transport name, unique per countersign instance. Default `'webhook'`. */
  name?: string | undefined;
  clock?: Clock | undefined;
  logger?: WebhookTransportLogger | undefined;
}

export interface WebhookTransport extends Transport {
  deliver(request: ApprovalRequest, context: DeliveryContext): Promise<Record<string, string>>;
  update(request: ApprovalRequest, receipt: DeliveryReceipt): Promise<void>;
  close(): Promise<void>;
}

/** Why an event could not be delivered; the message names the endpoint's origin, never its path or query. */
export class WebhookDeliveryError extends CountersignError {
  constructor(
    message: string,
    readonly attempts: number,
  ) {
    super(ErrorCode.DeliveryFailed, `[webhook] ${message}`);
  }
}

const KEYS = [
  'url',
  'secret',
  'privateKey',
  'source',
  'publicUrl',
  'maxAttempts',
  'backoffMs',
  'timeoutMs',
  'name',
  'clock',
  'logger',
] as const;
/** Retries of an update after its request settled: updates have no deadline of their own. */
const SETTLED_BUDGET_MS = 5 * 60_000;
const MEMORY_LIMIT = 10_000;

export function createWebhookTransport(options: WebhookTransportOptions): WebhookTransport {
  checkKeys(options, KEYS, 'createWebhookTransport options');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new ConfigError('[webhook] url must be an absolute URL');
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError('[webhook] url must use https (plain http only on a loopback address)');
  }
  if ((options.secret === undefined) === (options.privateKey === undefined)) {
    throw new ConfigError('[webhook] give exactly one of secret (v1) or privateKey (v1a)');
  }
  const sign = createWebhookSigner(
    options.secret !== undefined ? { secret: options.secret } : { privateKey: options.privateKey as string },
  );
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 15_000;
  for (const [key, value] of [
    ['maxAttempts', maxAttempts],
    ['backoffMs', backoffMs],
    ['timeoutMs', timeoutMs],
  ] as const) {
    if (!Number.isInteger(value) || value < (key === 'backoffMs' ? 0 : 1)) {
      throw new ConfigError(`[webhook] ${key} must be a positive integer`);
    }
  }
  const clock = options.clock ?? systemClock;
  const source = options.source ?? 'urn:countersign';
  const name = options.name ?? 'webhook';
  const logger = options.logger ?? { warn: (message, fields) => console.warn(message, fields) };
  const origin = url.origin;
  const closing = new AbortController();
  /** Event id → its delivery, so each event is posted (successfully) once. */
  const sent = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  function remember(id: string, delivery: Promise<void>): Promise<void> {
    sent.set(id, delivery);
    // A failed event may be tried again by a later call.
    delivery.catch(() => sent.delete(id));
    if (sent.size > MEMORY_LIMIT) {
      const oldest = sent.keys().next().value;
      if (oldest !== undefined) sent.delete(oldest);
    }
    inFlight.add(delivery);
    delivery.then(
      () => inFlight.delete(delivery),
      () => inFlight.delete(delivery),
    );
    return delivery;
  }

  function sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const handle = clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clock.clearTimeout(handle);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async function post(event: CountersignCloudEvent, deadline: number, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(event);
    let last = 'no attempt made';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (signal.aborted)
        throw new WebhookDeliveryError(`${event.type} to ${origin} abandoned: ${last}`, attempt - 1);
      const headers = sign(event.id, Math.floor(clock.now() / 1000), body);
      let retryAfterMs: number | null = null;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/cloudevents+json; charset=utf-8', ...headers },
          body,
          redirect: 'manual',
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
        await response.body?.cancel().catch(() => {});
        if (response.status >= 200 && response.status < 300) return;
        last = `HTTP ${response.status}`;
        if (response.status === 410) break;
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = retryAfter * 1000;
      } catch (error) {
        last =
          error instanceof Error && error.name === 'TimeoutError'
            ? `no answer within ${timeoutMs} ms`
            : 'connection failed';
      }
      if (attempt === maxAttempts) break;
      const delay = retryAfterMs ?? backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      if (clock.now() + delay >= deadline) break;
      logger.warn('[countersign] [webhook] delivery attempt failed; retrying', {
        event: event.type,
        eventId: event.id,
        endpoint: origin,
        attempt,
        problem: last,
      });
      try {
        await sleep(delay, signal);
      } catch {
        break;
      }
    }
    throw new WebhookDeliveryError(`could not deliver ${event.type} to ${origin}: ${last}`, maxAttempts);
  }

  function send(
    type: RequestEventType,
    request: ApprovalRequest,
    decision: number | undefined,
    deadline: number,
    signal: AbortSignal,
  ): Promise<void> {
    const event = requestEvent(type, request, {
      source,
      at: clock.now(),
      approvalUrl: options.publicUrl === undefined ? null : approvalUrl(options.publicUrl, request.id),
      decision,
    });
    const known = sent.get(event.id);
    if (known !== undefined) return known;
    return remember(event.id, post(event, deadline, AbortSignal.any([signal, closing.signal])));
  }

  return {
    name,
    start(_host: TransportHost) {},
    async deliver(request, context) {
      if (closed) throw new WebhookDeliveryError('closed', 0);
      // Retries stop at the request's deadline: after it, nobody could act on the event.
      await send('requested', request, undefined, request.expiresAt, context.signal);
      return { eventId: `evt_${request.id}_requested`, endpoint: origin };
    },
    async update(request) {
      if (closed) return;
      const deadline = request.status === 'pending' ? request.expiresAt : clock.now() + SETTLED_BUDGET_MS;
      for (const { type, decision } of eventsFor(request)) {
        if (type === 'requested') continue;
        await send(type, request, decision, deadline, closing.signal);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // Pending retries are abandoned, not awaited: they could run until a request's deadline.
      closing.abort(new Error('closed'));
      await Promise.allSettled([...inFlight]);
    },
  };
}

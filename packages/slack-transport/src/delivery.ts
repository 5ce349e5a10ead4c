// Posting approval messages (chat.postMessage) and keeping them current (chat.update), in order.
import type { ApprovalRequest, Clock, DeliveryReceipt } from '@countersign/core';
import type { WebClient } from '@slack/web-api';
import { type RenderOptions, renderApprovalMessage } from './render.js';
import { callSlack, PREFIX, updateMessage } from './slack-api.js';

/** Where a message was posted: what a delivery receipt's `ref` holds. */
export interface PostedMessage {
  channel: string;
  ts: string;
}

/** How long `chat.update` may wait out rate limits: updates have no deadline of their own. */
const UPDATE_RETRY_BUDGET_MS = 60_000;
/** Requests remembered per process for idempotent delivery and update ordering. */
const MEMORY_LIMIT = 10_000;
/** Re-renders after a concurrent change, bounded so two processes cannot ping-pong for ever. */
const MAX_UPDATE_ROUNDS = 5;

/**
 * One message per request in one channel. Posting is idempotent per request id within this
 * process; updates are queued per request and never show an older state over a newer one.
 */
export class MessageDelivery {
  /** Posts in flight or done, per request id: a second deliver gets the first post's reference. */
  private readonly posts = new Map<string, Promise<Record<string, string>>>();
  /** Where each request was posted from this process, for clicks that beat the stored receipt. */
  private readonly posted = new Map<string, PostedMessage>();
  /** Per request: the newest version shown, and the queue that keeps updates in order. */
  private readonly shown = new Map<string, { version: number; queue: Promise<void> }>();

  constructor(
    private readonly client: WebClient,
    private readonly channel: string,
    private readonly clock: () => Clock,
    /** The stored request, or null: read after each update to catch changes made meanwhile. */
    private readonly load: (requestId: string) => Promise<ApprovalRequest | null>,
    /** How to render the request: its policy rule (for the approval's terms) and the inbox link. */
    private readonly renderOptions: (request: ApprovalRequest) => RenderOptions,
  ) {}

  /** Where this process posted the request's message, if it did. */
  postedMessage(requestId: string): PostedMessage | undefined {
    return this.posted.get(requestId);
  }

  deliver(request: ApprovalRequest, signal: AbortSignal): Promise<Record<string, string>> {
    const existing = this.posts.get(request.id);
    if (existing) return existing;
    const posting = this.post(request, signal);
    remember(this.posts, request.id, posting);
    // A failed post may be tried again by a later deliver.
    posting.catch(() => this.posts.delete(request.id));
    return posting;
  }

  private async post(request: ApprovalRequest, signal: AbortSignal): Promise<Record<string, string>> {
    const message = renderApprovalMessage(request, this.renderOptions(request));
    const result = await callSlack(
      'chat.postMessage',
      () =>
        this.client.chat.postMessage({
          channel: this.channel,
          text: message.text,
          blocks: message.blocks,
          unfurl_links: false,
          unfurl_media: false,
          link_names: false,
          parse: 'none',
        }),
      { clock: this.clock(), deadline: request.expiresAt, signal },
    );
    if (typeof result.channel !== 'string' || typeof result.ts !== 'string') {
      throw new Error(`${PREFIX} chat.postMessage answered without a channel and ts`);
    }
    const ref = { channel: result.channel, ts: result.ts };
    remember(this.posted, request.id, ref);
    this.markShown(request.id, request.version);
    return ref;
  }

  async update(request: ApprovalRequest, receipt: DeliveryReceipt): Promise<void> {
    const { channel, ts } = receipt.ref;
    if (typeof channel !== 'string' || typeof ts !== 'string') {
      throw new Error(`${PREFIX} receipt for ${request.id} has no channel and ts`);
    }
    const state = this.shown.get(request.id) ?? { version: 0, queue: Promise.resolve() };
    const run = state.queue.then(async () => {
      // Updates can arrive out of order; an older state must never replace a newer one.
      let latest: ApprovalRequest | null = request;
      for (
        let round = 0;
        latest !== null && latest.version > state.version && round < MAX_UPDATE_ROUNDS;
        round++
      ) {
        const message = renderApprovalMessage(latest, this.renderOptions(latest));
        await updateMessage(this.client, { channel, ts }, message, this.clock(), UPDATE_RETRY_BUDGET_MS);
        state.version = Math.max(state.version, latest.version);
        // Another process may have changed the request, and updated the message, while this update
        // was in flight: show the newest stored state last, whichever process finishes last.
        latest = await this.load(request.id).catch(() => null);
      }
    });
    state.queue = run.catch(() => {});
    remember(this.shown, request.id, state);
    await run;
  }

  private markShown(requestId: string, version: number): void {
    const state = this.shown.get(requestId) ?? { version: 0, queue: Promise.resolve() };
    state.version = Math.max(state.version, version);
    remember(this.shown, requestId, state);
  }
}

/** Sets a key, dropping the oldest entries beyond {@link MEMORY_LIMIT}. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > MEMORY_LIMIT) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}

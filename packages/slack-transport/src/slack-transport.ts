// createSlackTransport: wires delivery, the interaction endpoint and approver identity into one Transport.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  ApprovalRequest,
  Clock,
  DeliveryContext,
  DeliveryReceipt,
  FollowUpNotice,
  Transport,
  TransportHost,
} from '@countersign/core';
import { toNodeHandler } from '@countersign/core';
import type { WebClient } from '@slack/web-api';
import { ApproverIdentity } from './approver-identity.js';
import { type BatchEntry, checkBatch, renderBatchMessage } from './batch.js';
import { MessageDelivery } from './delivery.js';
import { renderFollowUp } from './follow-ups.js';
import { InteractionEndpoint } from './interactions.js';
import { type CheckedOptions, checkOptions, type SlackTransportOptions } from './options.js';
import { Replies } from './replies.js';
import { RequesterNotice } from './requester-notice.js';
import { callSlack, createWebClient, PREFIX, updateMessage } from './slack-api.js';

/** Where a batch message was posted. */
export interface PostedBatch {
  channel: string;
  ts: string;
}

/** Options of {@link SlackTransport.postBatch}. */
export interface PostBatchOptions {
  /** Channel id to post in. Default: the transport's `channel`. */
  channel?: string | undefined;
}

/** How long a follow-up or batch post may wait out rate limits. */
const POST_BUDGET_MS = 60_000;

export interface SlackTransport extends Transport {
  start(host: TransportHost): void;
  deliver(request: ApprovalRequest, context: DeliveryContext): Promise<Record<string, string>>;
  /** Re-renders the message in place (`chat.update`); buttons go once the request is settled. */
  update(request: ApprovalRequest, receipt: DeliveryReceipt): Promise<void>;
  /**
   * A reminder or escalation as a reply in the request's thread that mentions who should decide
   * (`<@U…>` for `slack:TEAM:USER` identities of this workspace); an escalation is also broadcast
   * to the channel.
   */
  remind(request: ApprovalRequest, notice: FollowUpNotice, receipt: DeliveryReceipt): Promise<void>;
  /**
   * Posts one message listing several pending requests of one session (at most 20), each with its
   * params and params hash, with Approve all, Deny all and (when a rule would reuse the approval)
   * "Approve all, just these calls" buttons. A click decides every listed request or none, through
   * `host.decideBatch`, as the verified clicker: a request they may not decide, one already decided
   * or one whose params changed refuses the whole batch, and they are told why. Each request keeps
   * its own message. Throws a `ValidationError` for an empty, mixed-session or settled batch.
   */
  postBatch(requests: readonly ApprovalRequest[], options?: PostBatchOptions): Promise<PostedBatch>;
  /** Stops accepting interactions and waits for those in flight. Idempotent. */
  close(): Promise<void>;
  /**
   * Slack's Interactivity Request URL handler, in Fetch API form. Verifies the signature, answers
   * within Slack's 3 seconds, and records the decision afterwards (see {@link idle}).
   */
  handleInteraction(request: Request): Promise<Response>;
  /** The same handler for `node:http`: `createServer(transport.nodeHandler)`. */
  readonly nodeHandler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Resolves once every click already acknowledged has been fully processed. */
  idle(): Promise<void>;
}

/**
 * Posts approval requests to a Slack channel with Approve, Deny and Deny-with-a-reason buttons,
 * and turns verified clicks into decisions through core. Serve `handleInteraction` (or
 * `nodeHandler`) at the app's Interactivity Request URL.
 */
export function createSlackTransport(options: SlackTransportOptions): SlackTransport {
  return new SlackTransportImpl(checkOptions(options));
}

class SlackTransportImpl implements SlackTransport {
  readonly name: string;
  readonly nodeHandler: (req: IncomingMessage, res: ServerResponse) => void;
  private host: TransportHost | null = null;
  private closed = false;
  private readonly delivery: MessageDelivery;
  private readonly requesterNotice: RequesterNotice;
  private readonly interactions: InteractionEndpoint;
  private readonly client: WebClient;

  constructor(private readonly options: CheckedOptions) {
    const { logger, maxBodyBytes } = options;
    this.name = options.name;
    const client = createWebClient({
      token: options.token,
      slackApiUrl: options.slackApiUrl,
      timeoutMs: options.requestTimeoutMs,
      logger,
    });
    this.client = client;
    const clock = () => this.clock();
    this.requesterNotice = new RequesterNotice(client, options.teamId, clock);
    this.delivery = new MessageDelivery(
      client,
      options.channel,
      clock,
      (id) => (this.host === null ? Promise.resolve(null) : this.host.getRequest(id)),
      (request) => ({ rule: this.host?.rule?.(request.ruleId) ?? null, publicUrl: options.publicUrl }),
    );
    const replies = new Replies(client, logger, () => this.startedHost());
    this.interactions = new InteractionEndpoint({
      transportName: this.name,
      teamId: options.teamId,
      signingSecret: options.signingSecret,
      maxBodyBytes,
      client,
      logger,
      clock,
      host: () => (this.closed ? null : this.host),
      postedMessage: (requestId) => this.delivery.postedMessage(requestId),
      identity: new ApproverIdentity(client, logger, clock, replies, options.resolveApprover),
      replies,
      repaintBatch: (channel, ts, entries) => this.repaintBatch(channel, ts, entries),
    });
    this.nodeHandler = toNodeHandler((request) => this.handleInteraction(request), maxBodyBytes);
  }

  private clock(): Clock {
    const clock = this.options.clock ?? this.host?.clock;
    if (!clock) throw new Error(`${PREFIX} not started: pass the transport to createCountersign`);
    return clock;
  }

  private startedHost(): TransportHost {
    if (this.host === null) throw new Error(`${PREFIX} not started: pass the transport to createCountersign`);
    return this.host;
  }

  start(host: TransportHost): void {
    this.host = host;
  }

  async deliver(request: ApprovalRequest, { signal }: DeliveryContext): Promise<Record<string, string>> {
    if (this.closed) throw new Error(`${PREFIX} closed: cannot deliver ${request.id}`);
    return this.delivery.deliver(request, signal);
  }

  async update(request: ApprovalRequest, receipt: DeliveryReceipt): Promise<void> {
    if (this.closed) return;
    await this.delivery.update(request, receipt);
    if (this.options.notifyRequester === true) await this.requesterNotice.after(request);
  }

  async remind(request: ApprovalRequest, notice: FollowUpNotice, receipt: DeliveryReceipt): Promise<void> {
    if (this.closed) return;
    const { channel, ts } = receipt.ref;
    if (typeof channel !== 'string' || typeof ts !== 'string') {
      throw new Error(`${PREFIX} receipt for ${request.id} has no channel and ts`);
    }
    const clock = this.clock();
    await callSlack(
      'chat.postMessage',
      () =>
        this.client.chat.postMessage({
          channel,
          thread_ts: ts,
          reply_broadcast: notice.kind === 'escalation',
          text: renderFollowUp(request, notice, this.options.teamId),
          unfurl_links: false,
          unfurl_media: false,
          link_names: false,
          parse: 'none',
        }),
      { clock, deadline: Math.min(request.expiresAt, clock.now() + POST_BUDGET_MS) },
    );
  }

  async postBatch(
    requests: readonly ApprovalRequest[],
    options: PostBatchOptions = {},
  ): Promise<PostedBatch> {
    if (this.closed) throw new Error(`${PREFIX} closed: cannot post a batch`);
    checkBatch(requests, options);
    const message = renderBatchMessage(requests, {
      reusable: this.reusable(requests),
      publicUrl: this.options.publicUrl,
    });
    const clock = this.clock();
    const result = await callSlack(
      'chat.postMessage',
      () =>
        this.client.chat.postMessage({
          channel: options.channel ?? this.options.channel,
          text: message.text,
          blocks: message.blocks,
          unfurl_links: false,
          unfurl_media: false,
          link_names: false,
          parse: 'none',
        }),
      { clock, deadline: clock.now() + POST_BUDGET_MS },
    );
    if (typeof result.channel !== 'string' || typeof result.ts !== 'string') {
      throw new Error(`${PREFIX} chat.postMessage answered without a channel and ts`);
    }
    return { channel: result.channel, ts: result.ts };
  }

  /** Whether any rule of the batch would let the approval cover later calls. */
  private reusable(requests: readonly ApprovalRequest[]): boolean {
    return requests.some((request) => {
      const rule = this.host?.rule?.(request.ruleId);
      return rule?.reuse !== undefined && rule.destructive !== true;
    });
  }

  private async repaintBatch(channel: string, ts: string, entries: readonly BatchEntry[]): Promise<void> {
    const host = this.startedHost();
    const loaded = await Promise.all(entries.map((entry) => host.getRequest(entry.id)));
    const requests = loaded.filter((request): request is ApprovalRequest => request !== null);
    if (requests.length === 0) return;
    const message = renderBatchMessage(requests, {
      reusable: this.reusable(requests),
      publicUrl: this.options.publicUrl,
    });
    await updateMessage(this.client, { channel, ts }, message, this.clock(), POST_BUDGET_MS);
  }

  handleInteraction(request: Request): Promise<Response> {
    return this.interactions.handle(request);
  }

  idle(): Promise<void> {
    return this.interactions.idle();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}

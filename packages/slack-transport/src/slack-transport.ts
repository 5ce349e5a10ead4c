// createSlackTransport: wires delivery, the interaction endpoint and approver identity into one Transport.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  ApprovalRequest,
  Clock,
  DeliveryContext,
  DeliveryReceipt,
  Transport,
  TransportHost,
} from '@countersign/core';
import { ApproverIdentity } from './approver-identity.js';
import { MessageDelivery } from './delivery.js';
import { toNodeHandler } from './http.js';
import { InteractionEndpoint } from './interactions.js';
import { type CheckedOptions, checkOptions, type SlackTransportOptions } from './options.js';
import { Replies } from './replies.js';
import { createWebClient, PREFIX } from './slack-api.js';

export interface SlackTransport extends Transport {
  start(host: TransportHost): void;
  deliver(request: ApprovalRequest, context: DeliveryContext): Promise<Record<string, string>>;
  /** Re-renders the message in place (`chat.update`); buttons go once the request is settled. */
  update(request: ApprovalRequest, receipt: DeliveryReceipt): Promise<void>;
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
  private readonly interactions: InteractionEndpoint;

  constructor(private readonly options: CheckedOptions) {
    const { logger, maxBodyBytes } = options;
    this.name = options.name;
    const client = createWebClient({
      token: options.token,
      slackApiUrl: options.slackApiUrl,
      timeoutMs: options.requestTimeoutMs,
      logger,
    });
    const clock = () => this.clock();
    this.delivery = new MessageDelivery(client, options.channel, clock, (id) =>
      this.host === null ? Promise.resolve(null) : this.host.getRequest(id),
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
    return this.delivery.update(request, receipt);
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

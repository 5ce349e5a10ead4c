// createSlackTransport: checks the options and wires delivery, the interaction endpoint and approver identity into one Transport.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  ApprovalRequest,
  Clock,
  DeliveryContext,
  DeliveryReceipt,
  Transport,
  TransportHost,
} from '@countersign/core';
import { ApproverIdentity, type ResolveApprover } from './approver-identity.js';
import { MessageDelivery } from './delivery.js';
import { toNodeHandler } from './http.js';
import { InteractionEndpoint } from './interactions.js';
import { PREFIX, Replies } from './replies.js';
import { createWebClient, type SlackTransportLogger } from './slack-api.js';

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
}

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
  for (const key of ['token', 'signingSecret', 'channel', 'teamId'] as const) {
    if (typeof options[key] !== 'string' || options[key].length === 0) {
      throw new TypeError(`${PREFIX} ${key} is required`);
    }
  }
  const maxBodyBytes = options.maxBodyBytes ?? 65_536;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1_024) {
    throw new TypeError(`${PREFIX} maxBodyBytes must be an integer of at least 1024`);
  }
  return new SlackTransportImpl(options, maxBodyBytes);
}

class SlackTransportImpl implements SlackTransport {
  readonly name: string;
  readonly nodeHandler: (req: IncomingMessage, res: ServerResponse) => void;
  private host: TransportHost | null = null;
  private closed = false;
  private readonly delivery: MessageDelivery;
  private readonly interactions: InteractionEndpoint;

  constructor(
    private readonly options: SlackTransportOptions,
    maxBodyBytes: number,
  ) {
    this.name = options.name ?? 'slack';
    const logger = options.logger ?? console;
    const client = createWebClient({
      token: options.token,
      slackApiUrl: options.slackApiUrl,
      timeoutMs: options.requestTimeoutMs ?? 10_000,
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

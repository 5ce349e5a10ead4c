// createTeamsTransport: posts approval cards to a Teams channel and turns verified clicks into decisions.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type ApprovalRequest,
  type Clock,
  type DeliveryContext,
  type DeliveryReceipt,
  type FollowUpNotice,
  type Transport,
  type TransportHost,
  toNodeHandler,
} from '@countersign/core';
import { AccessTokenCache } from './access-token.js';
import { actOnClick } from './act-on-click.js';
import type { CardAction } from './activity.js';
import { type ActivityEndpoint, handleActivity } from './activity-endpoint.js';
import type { TeamsTransportLogger } from './call-error.js';
import { cardActivity, type RenderCardOptions, renderApprovalCard } from './card.js';
import { CardUpdates, UPDATE_RETRY_BUDGET_MS } from './card-updates.js';
import type { ClickOutcome } from './click-outcome.js';
import { ConnectorClient } from './connector.js';
import { followUpActivity } from './follow-up.js';
import { OpenIdKeys } from './openid-keys.js';
import { PREFIX, type ResolvedOptions, resolveOptions, type TeamsTransportOptions } from './options.js';
import { postedActivity } from './posted-card.js';
import { remember } from './remember.js';
import { canonicalTeamsId } from './teams-identity.js';

export interface TeamsTransport extends Transport {
  start(host: TransportHost): void;
  deliver(request: ApprovalRequest, context: DeliveryContext): Promise<Record<string, string>>;
  /** Replaces the card in place (`PUT …/activities/{id}`); buttons go once the request is settled. */
  update(request: ApprovalRequest, receipt: DeliveryReceipt): Promise<void>;
  /**
   * A reminder or escalation as a reply in the card's thread: a small card that @mentions who should
   * decide (`teams:TENANT:OBJECTID` identities of this tenant); other identities are shown as text.
   */
  remind(request: ApprovalRequest, notice: FollowUpNotice, receipt: DeliveryReceipt): Promise<void>;
  /** Stops accepting activities and waits for those in flight. Idempotent. */
  close(): Promise<void>;
  /**
   * The bot's messaging endpoint, in Fetch API form: verifies the connector's token, then answers
   * an `adaptiveCard/action` invoke with the updated card (or why nothing changed).
   */
  handleActivity(request: Request): Promise<Response>;
  /** The same handler for `node:http`: `createServer(transport.nodeHandler)`. */
  readonly nodeHandler: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * Posts approval requests to a Teams channel as Adaptive Cards with Approve, Deny and Deny with a
 * reason, and records verified clicks through core. Serve `handleActivity` (or `nodeHandler`) at
 * the bot's messaging endpoint.
 */
export function createTeamsTransport(options: TeamsTransportOptions): TeamsTransport {
  return new TeamsTransportImpl(resolveOptions(options));
}

class TeamsTransportImpl implements TeamsTransport {
  readonly name: string;
  readonly nodeHandler: (req: IncomingMessage, res: ServerResponse) => void;
  private readonly options: TeamsTransportOptions;
  private readonly logger: TeamsTransportLogger;
  private readonly connector: ConnectorClient;
  private readonly updates: CardUpdates;
  private readonly endpoint: ActivityEndpoint;
  private host: TransportHost | null = null;
  private closed = false;
  private readonly posts = new Map<string, Promise<Record<string, string>>>();
  /** Where each request was posted from this process, for clicks that beat the stored receipt. */
  private readonly posted = new Map<string, Record<string, string>>();
  /** Teams user ids who clicked a request's card: their clients refresh to a personal view. */
  private readonly clickers = new Map<string, Set<string>>();
  /** Activity ids already acted on: a replayed invoke changes nothing. */
  private readonly seen = new Map<string, true>();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly resolved: ResolvedOptions) {
    this.options = resolved.options;
    this.name = this.options.name ?? 'teams';
    this.logger = this.options.logger ?? console;
    const clock: Clock = {
      now: () => this.clock.now(),
      setTimeout: (f, ms) => this.clock.setTimeout(f, ms),
      clearTimeout: (h) => this.clock.clearTimeout(h),
    };
    const tokens = new AccessTokenCache({
      tokenUrl: resolved.tokenUrl,
      appId: this.options.appId,
      appPassword: this.options.appPassword,
      clock,
      timeoutMs: resolved.timeoutMs,
    });
    this.connector = new ConnectorClient({
      tokens,
      allowedOrigins: resolved.allowedOrigins,
      clock,
      timeoutMs: resolved.timeoutMs,
    });
    this.updates = new CardUpdates({
      connector: this.connector,
      now: () => this.clock.now(),
      reread: async (requestId) => (await this.host?.getRequest(requestId).catch(() => null)) ?? null,
      card: (request) => this.card(request, { refreshUserIds: this.clickersOf(request.id) }),
    });
    this.endpoint = {
      acceptingHost: () => (this.closed ? null : this.host),
      appId: this.options.appId,
      keys: new OpenIdKeys({
        metadataUrl: resolved.openIdMetadataUrl,
        clock,
        timeoutMs: resolved.timeoutMs,
      }),
      allowedOrigins: resolved.allowedOrigins,
      maxBodyBytes: resolved.maxBodyBytes,
      logger: this.logger,
      now: () => this.clock.now(),
      track: (work) => this.track(work),
      act: (action) => this.act(action),
      card: (request, viewer) => this.card(request, { viewer, refreshUserIds: this.clickersOf(request.id) }),
    };
    this.nodeHandler = toNodeHandler((request) => this.handleActivity(request), resolved.maxBodyBytes);
  }

  private get clock(): Clock {
    const clock = this.options.clock ?? this.host?.clock;
    if (!clock)
      throw new Error(`[countersign] ${PREFIX} not started: pass the transport to createCountersign`);
    return clock;
  }

  start(host: TransportHost): void {
    this.host = host;
  }

  async deliver(request: ApprovalRequest, { signal }: DeliveryContext): Promise<Record<string, string>> {
    if (this.closed) throw new Error(`[countersign] ${PREFIX} closed: cannot deliver ${request.id}`);
    const existing = this.posts.get(request.id);
    if (existing) return existing;
    const posting = this.post(request, signal);
    remember(this.posts, request.id, posting);
    // A failed post may be tried again by a later deliver.
    posting.catch(() => this.posts.delete(request.id));
    return posting;
  }

  private async post(request: ApprovalRequest, signal: AbortSignal): Promise<Record<string, string>> {
    const { serviceUrl, conversationId } = this.options;
    const activityId = await this.connector.postActivity(
      serviceUrl,
      conversationId,
      cardActivity(this.card(request)),
      { deadline: request.expiresAt, signal },
    );
    const ref = { serviceUrl, conversationId, activityId };
    remember(this.posted, request.id, ref);
    this.updates.markShown(request.id, request.version);
    return ref;
  }

  async update(request: ApprovalRequest, receipt: DeliveryReceipt): Promise<void> {
    if (this.closed) return;
    await this.updates.update(request, postedActivity(request, receipt));
  }

  /** The request's card, with its rule's terms when the host exposes rules. */
  private card(request: ApprovalRequest, options: RenderCardOptions = {}) {
    const rule = this.host?.rule?.(request.ruleId) ?? null;
    return renderApprovalCard(request, { ...options, rule, publicUrl: this.options.publicUrl });
  }

  async remind(request: ApprovalRequest, notice: FollowUpNotice, receipt: DeliveryReceipt): Promise<void> {
    if (this.closed) return;
    const { serviceUrl, conversationId, activityId } = postedActivity(request, receipt);
    // A reply in a channel thread goes to the thread's conversation: `{channel};messageid={root}`.
    await this.connector.postActivity(
      serviceUrl,
      `${conversationId.split(';')[0]};messageid=${activityId}`,
      followUpActivity(request, notice, canonicalTeamsId(this.options.tenantId)),
      { deadline: Math.min(request.expiresAt, this.clock.now() + UPDATE_RETRY_BUDGET_MS) },
    );
  }

  handleActivity(request: Request): Promise<Response> {
    return handleActivity(this.endpoint, request);
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private act(action: CardAction): Promise<ClickOutcome> {
    return actOnClick(
      {
        host: this.host!,
        transportName: this.name,
        tenantId: this.options.tenantId,
        resolveApprover: this.options.resolveApprover,
        logger: this.logger,
        invokeBudgetMs: this.resolved.invokeBudgetMs,
        now: () => this.clock.now(),
        seen: this.seen,
        postedHere: (requestId) => this.posted.get(requestId),
        noteClicker: (requestId, teamsUserId) => this.noteClicker(requestId, teamsUserId),
        track: (work) => this.track(work),
      },
      action,
    );
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch(() => {});
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }

  private clickersOf(requestId: string): string[] {
    return [...(this.clickers.get(requestId) ?? [])];
  }

  private noteClicker(requestId: string, teamsUserId: string): void {
    const set = this.clickers.get(requestId) ?? new Set<string>();
    set.add(teamsUserId);
    remember(this.clickers, requestId, set);
  }
}

// createTeamsTransport: posts approval cards to a Teams channel and turns verified clicks into decisions.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type ApprovalRequest,
  type Clock,
  type DeliveryContext,
  type DeliveryReceipt,
  decisionProblem,
  type FollowUpNotice,
  isCountersignError,
  readCappedBody,
  type Transport,
  type TransportHost,
  toNodeHandler,
} from '@countersign/core';
import { AccessTokenCache } from './access-token.js';
import { type CardAction, KNOWN_VERBS, parseActivity, readEnvelope } from './activity.js';
import type { TeamsTransportLogger } from './call-error.js';
import { type CardViewer, cardActivity, type RenderCardOptions, renderApprovalCard, VERB } from './card.js';
import { alreadyDecided, did, SAY } from './clicker-messages.js';
import { ConnectorClient } from './connector.js';
import { followUpActivity } from './follow-up.js';
import { type InvokeErrorStatus, invokeCard, invokeError, invokeMessage } from './invoke-response.js';
import { OpenIdKeys } from './openid-keys.js';
import {
  PREFIX,
  type ResolvedOptions,
  resolveOptions,
  type TeamsTransportOptions,
  type TeamsUser,
} from './options.js';
import { auditRefusal, clickerIdentity, refusalMessage } from './refusal.js';
import { isAllowedServiceUrl } from './service-url.js';
import { canonicalTeamsId, defaultResolveApprover, sameTeamsId } from './teams-identity.js';
import { verifyConnectorToken } from './verify-token.js';

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

const CHANNEL_ID = 'msteams';
/** How long an update may wait out rate limits: updates have no deadline of their own. */
const UPDATE_RETRY_BUDGET_MS = 60_000;
/** Requests and activity ids remembered per process. */
const MEMORY_LIMIT = 10_000;
const REQUEST_ID = /^[A-Za-z0-9_-]{1,100}$/;
const MAX_UPDATE_ROUNDS = 5;

/** What was done with a click: the invoke's answer, as a card for the clicker or a message. */
type Outcome =
  | { card: ApprovalRequest; viewer: CardViewer }
  | { message: string }
  | { error: InvokeErrorStatus; message: string };

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
  private readonly keys: OpenIdKeys;
  private host: TransportHost | null = null;
  private closed = false;
  private readonly posts = new Map<string, Promise<Record<string, string>>>();
  /** Where each request was posted from this process, for clicks that beat the stored receipt. */
  private readonly posted = new Map<string, Record<string, string>>();
  private readonly shown = new Map<string, { version: number; queue: Promise<void> }>();
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
    this.keys = new OpenIdKeys({
      metadataUrl: resolved.openIdMetadataUrl,
      clock,
      timeoutMs: resolved.timeoutMs,
    });
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
    this.markShown(request.id, request.version);
    return ref;
  }

  async update(request: ApprovalRequest, receipt: DeliveryReceipt): Promise<void> {
    if (this.closed) return;
    const { serviceUrl, conversationId, activityId } = postedActivity(request, receipt);
    const state = this.shown.get(request.id) ?? { version: 0, queue: Promise.resolve() };
    const run = state.queue.then(async () => {
      // Updates can arrive out of order; an older state must never replace a newer one.
      let latest: ApprovalRequest | null = request;
      for (
        let round = 0;
        latest !== null && latest.version > state.version && round < MAX_UPDATE_ROUNDS;
        round++
      ) {
        const card = this.card(latest, {
          refreshUserIds: [...(this.clickers.get(request.id) ?? [])],
        });
        await this.connector.updateActivity(serviceUrl, conversationId, activityId, cardActivity(card), {
          deadline: this.clock.now() + UPDATE_RETRY_BUDGET_MS,
        });
        state.version = Math.max(state.version, latest.version);
        // Another process may have changed the request while this update was in flight.
        latest = (await this.host?.getRequest(request.id).catch(() => null)) ?? null;
      }
    });
    state.queue = run.catch(() => {});
    remember(this.shown, request.id, state);
    await run;
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

  private markShown(requestId: string, version: number): void {
    const state = this.shown.get(requestId) ?? { version: 0, queue: Promise.resolve() };
    state.version = Math.max(state.version, version);
    remember(this.shown, requestId, state);
  }

  async handleActivity(request: Request): Promise<Response> {
    const host = this.host;
    if (this.closed || host === null) return text(503, 'not accepting activities');
    if (request.method !== 'POST') return text(405, 'POST only', { allow: 'POST' });
    const authorization = request.headers.get('authorization');
    if (authorization === null) {
      await request.body?.cancel().catch(() => {});
      this.logger.warn(`[countersign] ${PREFIX} refused an activity: missing`);
      return text(401, 'unauthorized');
    }
    const body = await readCappedBody(request, this.resolved.maxBodyBytes);
    if (body === null) return text(413, 'request body too large');
    const envelope = readEnvelope(body);
    if (envelope === null) return text(400, 'malformed activity');
    const check = await verifyConnectorToken({
      authorization,
      keys: this.keys,
      appId: this.options.appId,
      channelId: envelope.channelId,
      serviceUrl: envelope.serviceUrl,
      now: this.clock.now(),
    });
    if (!check.ok) {
      this.logger.warn(`[countersign] ${PREFIX} refused an activity: ${check.reason}`);
      return check.reason === 'keys_unavailable'
        ? text(503, 'cannot verify tokens now')
        : text(401, 'unauthorized');
    }
    if (envelope.channelId !== CHANNEL_ID) return text(400, 'this bot serves Microsoft Teams only');
    const parsed = parseActivity(envelope);
    if (!parsed.ok) {
      this.logger.warn(`[countersign] ${PREFIX} refused an authenticated activity: ${parsed.problem}`);
      return text(400, 'malformed activity');
    }
    if (!isAllowedServiceUrl(envelope.serviceUrl, this.resolved.allowedOrigins)) {
      // The token names this serviceUrl, but the bot never trusts a connector off its allow-list.
      this.logger.warn(
        `[countersign] ${PREFIX} refused an activity: serviceUrl not on allowedServiceOrigins`,
      );
      if (parsed.action !== null) {
        const auditing = this.auditClaimed(
          parsed.action,
          'activity serviceUrl is not on allowedServiceOrigins',
        );
        this.track(auditing);
        await auditing;
      }
      return text(401, 'unauthorized');
    }
    if (parsed.action === null) return new Response(null, { status: 200 });
    const action = parsed.action;
    const work = this.act(action);
    this.track(work);
    const outcome = await work.catch((error: unknown): Outcome => {
      this.logger.error(`[countersign] ${PREFIX} processing a card action failed: ${describe(error)}`);
      return { message: SAY.failed };
    });
    // The fallback Action.Submit arrives as a message: Teams shows no answer, the card update is the answer.
    if (action.kind === 'submit') return new Response(null, { status: 200 });
    if ('card' in outcome) {
      return invokeCard(
        this.card(outcome.card, {
          viewer: outcome.viewer,
          refreshUserIds: [...(this.clickers.get(outcome.card.id) ?? [])],
        }),
      );
    }
    if ('error' in outcome) return invokeError(outcome.error, outcome.message);
    return invokeMessage(outcome.message);
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Everything after authentication: tenant, card, identity, then core's decision. */
  private async act(action: CardAction): Promise<Outcome> {
    const host = this.host!;
    if (!KNOWN_VERBS.includes(action.verb)) return { error: 400, message: 'Unknown action.' };
    if (action.verb !== VERB.Refresh) {
      if (this.seen.has(action.activityId)) return { message: SAY.replayed };
      remember(this.seen, action.activityId, true);
    }
    if (action.requestId === null || !REQUEST_ID.test(action.requestId)) return { message: SAY.notFound };
    const request = await host.getRequest(action.requestId);
    if (request === null) return { message: SAY.notFound };
    const refuse = async (why: string, say: string) =>
      refusalMessage(
        say,
        await auditRefusal(host, this.logger, request.id, { approver: clickerIdentity(action), why }),
      );
    if (action.tenantId === null || !sameTeamsId(action.tenantId, this.options.tenantId)) {
      return {
        error: 400,
        message: await refuse('click from another Microsoft Entra tenant', SAY.otherTenant),
      };
    }
    if (!this.isPostedCard(request, action)) {
      const why = 'card does not match the message posted for this request';
      return { error: 400, message: await refuse(why, SAY.wrongCard) };
    }
    if (action.from.aadObjectId === null) {
      return { message: await refuse('Teams account without an Entra object id', SAY.noAccount) };
    }
    const approver = await this.identify({
      aadObjectId: canonicalTeamsId(action.from.aadObjectId),
      tenantId: canonicalTeamsId(action.tenantId),
      teamsUserId: action.from.id,
      name: action.from.name,
    });
    if (approver === null) {
      return { message: await refuse('Teams user has no approver identity', SAY.unmapped) };
    }
    if (action.verb === VERB.Refresh) return { card: request, viewer: this.view(request, approver) };
    this.noteClicker(request.id, action.from.id);
    const outcome = action.verb === VERB.Deny ? 'deny' : 'approve';
    const justThisCall = action.verb === VERB.ApproveJustThisCall;
    // Core re-renders the card before decide resolves; Teams will not wait for rate-limited updates.
    const deciding = this.decide(request.id, approver, outcome, action.reason, justThisCall);
    this.track(deciding);
    return this.withinBudget(deciding, async () => {
      const now = await host.getRequest(request.id).catch(() => null);
      const mine = now?.decisions.find((d) => d.approver === approver);
      if (now === null || mine === undefined) return { message: SAY.recording };
      return { card: now, viewer: { canDecide: false, note: did(mine.outcome) } };
    });
  }

  private async decide(
    requestId: string,
    approver: string,
    outcome: 'approve' | 'deny',
    reason: string | null,
    justThisCall: boolean,
  ): Promise<Outcome> {
    try {
      const result = await this.host!.decide(requestId, {
        approver,
        outcome,
        comment: reason === null || reason.length === 0 ? undefined : reason,
        via: 'teams',
        ...(justThisCall ? { justThisCall: true } : {}),
      });
      return { card: result.request, viewer: { canDecide: false, note: did(outcome) } };
    } catch (error) {
      const code = isCountersignError(error) ? error.code : null;
      switch (code) {
        case 'self_approval':
          return { message: SAY.self };
        case 'not_eligible':
          return { message: SAY.notEligible };
        case 'already_voted':
          return { message: SAY.voted };
        case 'already_decided':
          return { message: alreadyDecided((error as { status?: string }).status ?? 'settled') };
        case 'request_not_found':
          return { message: SAY.notFound };
        case 'invalid_input':
          // The only input a click can get wrong: a comment the rule requires, left blank.
          if (/requires a comment/.test((error as Error).message)) return { message: SAY.commentRequired };
          // e.g. resolveApprover gave an identity core does not accept.
          this.logger.error(
            `[countersign] ${PREFIX} core refused the decision on ${requestId} as invalid: ${describe(error)}`,
          );
          return { message: SAY.failed };
        default:
          this.logger.error(
            `[countersign] ${PREFIX} recording a decision on ${requestId} failed: ${describe(error)}`,
          );
          return { message: SAY.failed };
      }
    }
  }

  /** The outcome if it comes within the invoke budget, otherwise what is known by then. */
  private async withinBudget(work: Promise<Outcome>, late: () => Promise<Outcome>): Promise<Outcome> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.resolved.invokeBudgetMs);
    });
    try {
      return (await Promise.race([work, expired])) ?? (await late());
    } finally {
      clearTimeout(timer);
    }
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch(() => {});
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }

  /** The card's view for one person: buttons only if they may still decide. */
  private view(request: ApprovalRequest, approver: string): CardViewer {
    const problem = decisionProblem(request, approver, this.clock.now());
    if (problem === null) return { canDecide: true };
    const note: Record<typeof problem, string | undefined> = {
      not_pending: undefined,
      expired: undefined,
      self_approval: 'You cannot decide this request: it was made by you or on your behalf.',
      not_eligible: 'You are not an approver for this request.',
      already_voted: SAY.voted,
    };
    return { canDecide: false, note: note[problem] };
  }

  /**
   * True only if the action came from the card this transport posted for the request: the stored
   * receipt (so any process can serve the click) or, before it is stored, this process's post. In a
   * channel the click's conversation is the post's thread: `{channel};messageid={activityId}`.
   */
  private isPostedCard(request: ApprovalRequest, action: CardAction): boolean {
    const receipts = request.deliveries.filter((r) => r.transport === this.name).map((r) => r.ref);
    const refs = receipts.length > 0 ? receipts : [this.posted.get(request.id)];
    return refs.some((ref) => {
      if (ref === undefined || action.replyToId === null || ref.activityId !== action.replyToId) return false;
      return (
        action.conversationId === ref.conversationId ||
        action.conversationId === `${ref.conversationId};messageid=${ref.activityId}`
      );
    });
  }

  private async identify(user: TeamsUser): Promise<string | null> {
    const resolve = this.options.resolveApprover ?? defaultResolveApprover;
    try {
      const identity = await resolve(user);
      return typeof identity === 'string' && identity.length > 0 ? identity : null;
    } catch (error) {
      this.logger.error(
        `[countersign] ${PREFIX} resolveApprover threw for ${user.aadObjectId}: ${describe(error)}`,
      );
      return null;
    }
  }

  private noteClicker(requestId: string, teamsUserId: string): void {
    const set = this.clickers.get(requestId) ?? new Set<string>();
    set.add(teamsUserId);
    remember(this.clickers, requestId, set);
  }

  /** Audits a refused activity on the request its card data names, when that request exists. */
  private async auditClaimed(action: CardAction, why: string): Promise<void> {
    if (action.requestId === null || !REQUEST_ID.test(action.requestId)) return;
    const request = await this.host!.getRequest(action.requestId).catch(() => null);
    if (request === null) return;
    await auditRefusal(this.host!, this.logger, request.id, { approver: clickerIdentity(action), why });
  }
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

/** Where a delivered card lives, from its receipt; a receipt without it cannot be acted on. */
function postedActivity(request: ApprovalRequest, receipt: DeliveryReceipt) {
  const { serviceUrl, conversationId, activityId } = receipt.ref;
  if (
    typeof serviceUrl !== 'string' ||
    typeof conversationId !== 'string' ||
    typeof activityId !== 'string'
  ) {
    throw new Error(
      `[countersign] ${PREFIX} receipt for ${request.id} has no serviceUrl, conversationId and activityId`,
    );
  }
  return { serviceUrl, conversationId, activityId };
}

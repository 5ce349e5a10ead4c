import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type ApprovalRequest,
  type Clock,
  type DecisionInput,
  type DeliveryContext,
  type DeliveryReceipt,
  isCountersignError,
  type Transport,
  type TransportHost,
} from '@countersign/core';
import type { WebClient } from '@slack/web-api';
import { readCapped, toNodeHandler } from './http.js';
import {
  type BlockActions,
  type Interaction,
  modalOriginSchema,
  parseInteraction,
  submittedReason,
  type ViewSubmission,
} from './payloads.js';
import { ACTION, renderApprovalMessage, renderReasonModal } from './render.js';
import { verifySlackSignature } from './signature.js';
import { callSlack, createWebClient, type SlackTransportLogger, toCallError } from './slack-api.js';

/** The Slack account behind a click, as `users.info` reports it. */
export interface SlackUser {
  id: string;
  /** The user's home workspace. */
  teamId: string;
  name: string;
  realName: string | null;
  /** Present only with the `users:read.email` scope. */
  email: string | null;
  /** Guests (single- and multi-channel). */
  isRestricted: boolean;
}

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
  resolveApprover?: ((user: SlackUser) => string | null | Promise<string | null>) | undefined;
  /** Time source for signature windows and rate-limit waits. Default: the clock core hands over. */
  clock?: Clock | undefined;
  /** Largest interaction body accepted, checked before hashing. Default 65536. */
  maxBodyBytes?: number | undefined;
  /** Per-call HTTP timeout for the Web API, in milliseconds. Default 10000. */
  requestTimeoutMs?: number | undefined;
  /** Transport name, unique per countersign instance. Default `'slack'`. */
  name?: string | undefined;
  /** Where problems are reported. Default `console`. */
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

const PREFIX = '[countersign] [slack]';
const VIA = 'slack';
/** How long `chat.update` may wait out rate limits: updates have no deadline of their own. */
const UPDATE_RETRY_BUDGET_MS = 60_000;
/** Requests remembered per process for idempotent delivery and update ordering. */
const MEMORY_LIMIT = 10_000;
const REQUEST_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** Re-renders after a concurrent change, bounded so two processes cannot ping-pong for ever. */
const MAX_UPDATE_ROUNDS = 5;

/** Refusal texts, shown only to the person who clicked. */
const SAY = {
  notFound: 'This approval request no longer exists. Nothing was recorded.',
  wrongMessage:
    'This button does not belong to the request it names. Nothing was recorded, and the attempt was audited.',
  lookupFailed:
    'Countersign could not verify your Slack account, so nothing was recorded. Try again in a moment.',
  deleted: 'Deactivated accounts cannot decide approval requests. The attempt was audited.',
  bot: 'Bots and apps cannot decide approval requests. The attempt was audited.',
  unmapped:
    'Your Slack account is not linked to an approver identity, so you cannot decide this request. The attempt was audited.',
  self: 'You cannot decide this request: it was made by you or on your behalf. The attempt was audited.',
  notEligible: 'You are not an approver for this request. The attempt was audited.',
  voted: 'You have already decided on this request.',
  failed:
    'Countersign could not record your decision, so nothing changed. Try again, or tell whoever runs it.',
} as const;

interface Where {
  channel: string | undefined;
  ts: string | undefined;
  user: string;
  team: string;
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
  private readonly client: WebClient;
  private readonly logger: SlackTransportLogger;
  private host: TransportHost | null = null;
  private closed = false;
  /** Posts in flight or done, per request id: a second deliver gets the first post's reference. */
  private readonly posts = new Map<string, Promise<Record<string, string>>>();
  /** Where each request was posted from this process, for clicks that beat the stored receipt. */
  private readonly posted = new Map<string, { channel: string; ts: string }>();
  /** Per request: the newest version shown, and the queue that keeps updates in order. */
  private readonly shown = new Map<string, { version: number; queue: Promise<void> }>();
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly options: SlackTransportOptions,
    private readonly maxBodyBytes: number,
  ) {
    this.name = options.name ?? 'slack';
    this.logger = options.logger ?? console;
    this.client = createWebClient({
      token: options.token,
      slackApiUrl: options.slackApiUrl,
      timeoutMs: options.requestTimeoutMs ?? 10_000,
      logger: this.logger,
    });
    this.nodeHandler = toNodeHandler((request) => this.handleInteraction(request), maxBodyBytes);
  }

  private get clock(): Clock {
    const clock = this.options.clock ?? this.host?.clock;
    if (!clock) throw new Error(`${PREFIX} not started: pass the transport to createCountersign`);
    return clock;
  }

  start(host: TransportHost): void {
    this.host = host;
  }

  async deliver(request: ApprovalRequest, { signal }: DeliveryContext): Promise<Record<string, string>> {
    if (this.closed) throw new Error(`${PREFIX} closed: cannot deliver ${request.id}`);
    const existing = this.posts.get(request.id);
    if (existing) return existing;
    const posting = this.post(request, signal);
    remember(this.posts, request.id, posting);
    // A failed post may be tried again by a later deliver.
    posting.catch(() => this.posts.delete(request.id));
    return posting;
  }

  private async post(request: ApprovalRequest, signal: AbortSignal): Promise<Record<string, string>> {
    const message = renderApprovalMessage(request);
    const result = await callSlack(
      'chat.postMessage',
      () =>
        this.client.chat.postMessage({
          channel: this.options.channel,
          text: message.text,
          blocks: message.blocks,
          unfurl_links: false,
          unfurl_media: false,
          link_names: false,
          parse: 'none',
        }),
      { clock: this.clock, deadline: request.expiresAt, signal },
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
    if (this.closed) return;
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
        const message = renderApprovalMessage(latest);
        await callSlack(
          'chat.update',
          () =>
            this.client.chat.update({
              channel,
              ts,
              text: message.text,
              blocks: message.blocks,
              link_names: false,
              parse: 'none',
            }),
          { clock: this.clock, deadline: this.clock.now() + UPDATE_RETRY_BUDGET_MS },
        );
        state.version = Math.max(state.version, latest.version);
        // Another process may have changed the request, and updated the message, while this update
        // was in flight: show the newest stored state last, whichever process finishes last.
        latest = (await this.host?.getRequest(request.id).catch(() => null)) ?? null;
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

  async handleInteraction(request: Request): Promise<Response> {
    const host = this.host;
    if (this.closed || host === null) return text(503, 'not accepting interactions');
    if (request.method !== 'POST') return text(405, 'POST only', { allow: 'POST' });
    const body = await readCapped(request, this.maxBodyBytes);
    if (body === null) return text(413, 'request body too large');
    const check = verifySlackSignature({
      signingSecret: this.options.signingSecret,
      rawBody: body,
      timestamp: request.headers.get('x-slack-request-timestamp'),
      signature: request.headers.get('x-slack-signature'),
      now: this.clock.now(),
    });
    if (!check.ok) {
      this.logger.warn(`${PREFIX} refused an interaction: ${check.reason}`);
      return text(401, 'invalid signature');
    }
    const parsed = parseInteraction(body);
    if (!parsed.ok) {
      this.logger.warn(`${PREFIX} refused a signed interaction: ${parsed.problem}`);
      return text(400, 'malformed interaction');
    }
    const { interaction } = parsed;
    // Slack's certificate check (documented for request URLs; bolt answers it the same way).
    if (interaction.kind === 'ssl_check') return new Response(null, { status: 200 });
    if (parsed.teamId !== this.options.teamId) {
      this.track(this.refuseForeignTeam(parsed.teamId, interaction));
      return text(403, 'this app accepts interactions from one workspace only');
    }
    // Slack wants an answer within 3 seconds; the decision is made after answering.
    if (interaction.kind === 'block_actions') this.track(this.onBlockActions(interaction.payload));
    if (interaction.kind === 'view_submission') this.track(this.onViewSubmission(interaction.payload));
    return new Response(null, { status: 200 });
  }

  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.logger.error(`${PREFIX} processing an interaction failed: ${describe(error)}`);
    });
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }

  private async refuseForeignTeam(teamId: string | null, interaction: Interaction): Promise<void> {
    this.logger.warn(`${PREFIX} refused an interaction from workspace ${teamId ?? '(none)'}`);
    if (interaction.kind !== 'block_actions') return;
    const requestId = interaction.payload.actions[0]?.value;
    if (requestId === undefined || !REQUEST_ID.test(requestId)) return;
    const request = await this.host!.getRequest(requestId);
    if (request === null) return;
    await this.audit(
      request.id,
      slackIdentity(teamId ?? 'unknown', interaction.payload.user.id),
      'click from another Slack workspace',
    );
  }

  private async onBlockActions(payload: BlockActions): Promise<void> {
    const action = payload.actions.find((a) => Object.values<string>(ACTION).includes(a.action_id));
    if (action === undefined) return;
    const where: Where = {
      channel: payload.container?.channel_id ?? payload.channel?.id,
      ts: payload.container?.message_ts,
      user: payload.user.id,
      team: payload.team?.id ?? this.options.teamId,
    };
    const request = await this.postedRequest(action.value, where);
    if (request === null) return;
    const approver = await this.identify(request, where);
    if (approver === null) return;
    if (action.action_id === ACTION.DenyWithReason) {
      await this.openReasonModal(request, approver, where, payload.trigger_id);
      return;
    }
    await this.decide(request.id, where, {
      approver,
      outcome: action.action_id === ACTION.Approve ? 'approve' : 'deny',
      via: VIA,
    });
  }

  private async onViewSubmission(payload: ViewSubmission): Promise<void> {
    const reason = submittedReason(payload);
    if (reason === null) return;
    let origin: unknown;
    try {
      origin = JSON.parse(payload.view.private_metadata);
    } catch {
      origin = null;
    }
    const parsed = modalOriginSchema.safeParse(origin);
    if (!parsed.success) {
      this.logger.warn(`${PREFIX} refused a deny-with-reason submission without a valid origin`);
      return;
    }
    const where: Where = {
      channel: parsed.data.channel,
      ts: parsed.data.ts,
      user: payload.user.id,
      team: payload.team?.id ?? this.options.teamId,
    };
    const request = await this.postedRequest(parsed.data.requestId, where);
    if (request === null) return;
    const approver = await this.identify(request, where);
    if (approver === null) return;
    await this.decide(request.id, where, {
      approver,
      outcome: 'deny',
      comment: reason.length > 0 ? reason : undefined,
      via: VIA,
    });
  }

  /**
   * The request the button names, only if the click came from the message this transport posted
   * for it: the stored delivery receipt (any process) or, before it is stored, this process's post.
   */
  private async postedRequest(requestId: string | undefined, where: Where): Promise<ApprovalRequest | null> {
    if (requestId === undefined || !REQUEST_ID.test(requestId)) {
      await this.tell(where, SAY.notFound);
      return null;
    }
    const request = await this.host!.getRequest(requestId);
    if (request === null) {
      await this.tell(where, SAY.notFound);
      return null;
    }
    const receipts = request.deliveries.filter((receipt) => receipt.transport === this.name);
    const refs = receipts.length > 0 ? receipts.map((receipt) => receipt.ref) : [this.posted.get(request.id)];
    const matches = refs.some(
      (ref) => ref !== undefined && ref.channel === where.channel && ref.ts === where.ts,
    );
    if (!matches) {
      await this.audit(
        request.id,
        slackIdentity(where.team, where.user),
        'button does not match the message posted for this request',
      );
      await this.tell(where, SAY.wrongMessage);
      return null;
    }
    return request;
  }

  /** The clicker's directory identity from Slack's own account record, or null once refused. */
  private async identify(request: ApprovalRequest, where: Where): Promise<string | null> {
    const raw = slackIdentity(where.team, where.user);
    let info: Awaited<ReturnType<WebClient['users']['info']>>;
    try {
      info = await callSlack('users.info', () => this.client.users.info({ user: where.user }), {
        clock: this.clock,
        deadline: this.clock.now() + 2_000,
      });
    } catch (error) {
      this.logger.error(`${PREFIX} users.info failed for ${where.user}: ${describe(error)}`);
      await this.audit(request.id, raw, 'could not look up the Slack user');
      await this.tell(where, SAY.lookupFailed);
      return null;
    }
    const user = info.user;
    if (user === undefined || user.id !== where.user) {
      await this.audit(request.id, raw, 'Slack returned no matching user');
      await this.tell(where, SAY.lookupFailed);
      return null;
    }
    if (user.deleted === true) {
      await this.audit(request.id, raw, 'deactivated Slack user');
      await this.tell(where, SAY.deleted);
      return null;
    }
    if (user.is_bot === true || user.is_app_user === true || user.id === 'USLACKBOT') {
      await this.audit(request.id, raw, 'Slack bot user');
      await this.tell(where, SAY.bot);
      return null;
    }
    const slackUser: SlackUser = {
      id: user.id,
      teamId: user.team_id ?? where.team,
      name: user.name ?? user.id,
      realName: user.real_name ?? null,
      email: user.profile?.email ?? null,
      isRestricted: user.is_restricted === true || user.is_ultra_restricted === true,
    };
    const resolve = this.options.resolveApprover ?? defaultResolveApprover;
    let identity: string | null;
    try {
      identity = await resolve(slackUser);
    } catch (error) {
      this.logger.error(`${PREFIX} resolveApprover threw for ${where.user}: ${describe(error)}`);
      identity = null;
    }
    if (typeof identity !== 'string' || identity.length === 0) {
      await this.audit(request.id, raw, 'Slack user has no approver identity');
      await this.tell(where, SAY.unmapped);
      return null;
    }
    return identity;
  }

  private async openReasonModal(
    request: ApprovalRequest,
    approver: string,
    where: Where,
    triggerId: string | undefined,
  ): Promise<void> {
    // Checked before the modal opens so nobody types a reason that will be refused; core checks again.
    if (approver === request.actor || approver === request.onBehalfOf) {
      await this.audit(request.id, approver, 'self-approval');
      await this.tell(where, SAY.self);
      return;
    }
    if (!request.approvers.includes(approver)) {
      await this.audit(request.id, approver, 'not an eligible approver');
      await this.tell(where, SAY.notEligible);
      return;
    }
    if (request.status !== 'pending') {
      await this.tell(where, alreadyDecided(request.status));
      return;
    }
    if (request.decisions.some((d) => d.approver === approver)) {
      await this.tell(where, SAY.voted);
      return;
    }
    if (triggerId === undefined || where.channel === undefined || where.ts === undefined) return;
    const view = renderReasonModal(request, { requestId: request.id, channel: where.channel, ts: where.ts });
    try {
      await this.client.views.open({ trigger_id: triggerId, view });
    } catch (error) {
      this.logger.error(`${PREFIX} views.open failed: ${describe(toCallError('views.open', error))}`);
      await this.tell(where, 'Countersign could not open the reason dialog. Use Deny, or try again.');
    }
  }

  private async decide(requestId: string, where: Where, decision: DecisionInput): Promise<void> {
    try {
      await this.host!.decide(requestId, decision);
    } catch (error) {
      const code = isCountersignError(error) ? error.code : null;
      switch (code) {
        case 'self_approval':
          return this.tell(where, SAY.self);
        case 'not_eligible':
          return this.tell(where, SAY.notEligible);
        case 'already_voted':
          return this.tell(where, SAY.voted);
        case 'already_decided':
          return this.tell(where, alreadyDecided((error as { status?: string }).status ?? 'settled'));
        case 'request_not_found':
          return this.tell(where, SAY.notFound);
        default:
          this.logger.error(`${PREFIX} recording a decision on ${requestId} failed: ${describe(error)}`);
          return this.tell(where, SAY.failed);
      }
    }
  }

  /** Audits a refusal the transport made itself. Never throws: the refusal stands either way. */
  private async audit(requestId: string, approver: string, why: string): Promise<void> {
    try {
      await this.host!.recordRefusal(requestId, { approver, via: VIA, why });
    } catch (error) {
      this.logger.error(`${PREFIX} could not audit a refusal on ${requestId}: ${describe(error)}`);
    }
  }

  /** An ephemeral message to the person who clicked. Never throws. */
  private async tell(where: Where, message: string): Promise<void> {
    if (where.channel === undefined) return;
    try {
      await this.client.chat.postEphemeral({ channel: where.channel, user: where.user, text: message });
    } catch (error) {
      this.logger.warn(
        `${PREFIX} could not tell ${where.user}: ${describe(toCallError('chat.postEphemeral', error))}`,
      );
    }
  }
}

/** `slack:TEAM:USER`, the identity used when no `resolveApprover` is given. */
export function defaultResolveApprover(user: SlackUser): string {
  return slackIdentity(user.teamId, user.id);
}

function slackIdentity(team: string, user: string): string {
  return `slack:${team}:${user}`;
}

function alreadyDecided(status: string): string {
  return `This request is already ${status}; your click changed nothing.`;
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

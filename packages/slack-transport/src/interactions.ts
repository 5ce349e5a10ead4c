// The Interactivity Request URL: verifies each request, answers Slack at once, then turns clicks into decisions.
import {
  type ApprovalRequest,
  type BatchRefusedError,
  type Clock,
  type DecisionInput,
  decisionProblem,
  isCountersignError,
  presentRequest,
  readCappedBody,
  type TransportHost,
} from '@countersign/core';
import type { WebClient } from '@slack/web-api';
import type { ApproverIdentity } from './approver-identity.js';
import { slackIdentity } from './approver-identity.js';
import { type BatchEntry, decodeBatch } from './batch.js';
import type { PostedMessage } from './delivery.js';
import {
  type BlockActions,
  type Interaction,
  modalOriginSchema,
  parseInteraction,
  submittedComment,
  type ViewSubmission,
} from './payloads.js';
import { ACTION, needsComment, renderReasonModal } from './render.js';
import { alreadyDecided, batchRefused, type Replies, SAY, VIA, type Where } from './replies.js';
import { verifySlackSignature } from './signature.js';
import { describeError, PREFIX, type SlackTransportLogger, toCallError } from './slack-api.js';

const REQUEST_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** What the endpoint needs from the transport that owns it. */
export interface InteractionEndpointOptions {
  /** The transport's name: its delivery receipts are the ones a click must match. */
  transportName: string;
  teamId: string;
  signingSecret: string;
  maxBodyBytes: number;
  client: WebClient;
  logger: SlackTransportLogger;
  clock: () => Clock;
  /** The host once started and while open; null refuses every request with 503. */
  host: () => TransportHost | null;
  /** Where this process posted a request's message, for clicks that beat the stored receipt. */
  postedMessage: (requestId: string) => PostedMessage | undefined;
  identity: ApproverIdentity;
  replies: Replies;
  /** Re-renders a batch message after a click on it, from the requests' stored state. */
  repaintBatch: (channel: string, ts: string, entries: readonly BatchEntry[]) => Promise<void>;
}

type BlockAction = BlockActions['actions'][number];

const BATCH_ACTIONS: readonly string[] = [
  ACTION.BatchApprove,
  ACTION.BatchApproveJustThese,
  ACTION.BatchDeny,
];

export class InteractionEndpoint {
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly options: InteractionEndpointOptions) {}

  /**
   * Verifies the signature over the exact bytes, answers within Slack's 3 seconds, and records the
   * decision afterwards (see {@link idle}).
   */
  async handle(request: Request): Promise<Response> {
    const host = this.options.host();
    if (host === null) return text(503, 'not accepting interactions');
    if (request.method !== 'POST') return text(405, 'POST only', { allow: 'POST' });
    const body = await readCappedBody(request, this.options.maxBodyBytes);
    if (body === null) return text(413, 'request body too large');
    const check = verifySlackSignature({
      signingSecret: this.options.signingSecret,
      rawBody: body,
      timestamp: request.headers.get('x-slack-request-timestamp'),
      signature: request.headers.get('x-slack-signature'),
      now: this.options.clock().now(),
    });
    if (!check.ok) {
      this.options.logger.warn(`${PREFIX} refused an interaction: ${check.reason}`);
      return text(401, 'invalid signature');
    }
    const parsed = parseInteraction(body);
    if (!parsed.ok) {
      this.options.logger.warn(`${PREFIX} refused a signed interaction: ${parsed.problem}`);
      return text(400, 'malformed interaction');
    }
    const { interaction } = parsed;
    // Slack's certificate check (documented for request URLs; bolt answers it the same way).
    if (interaction.kind === 'ssl_check') return new Response(null, { status: 200 });
    if (parsed.teamId !== this.options.teamId) {
      this.track(this.refuseForeignTeam(host, parsed.teamId, interaction));
      return text(403, 'this app accepts interactions from one workspace only');
    }
    // Slack wants an answer within 3 seconds; the decision is made after answering.
    if (interaction.kind === 'block_actions') this.track(this.onBlockActions(host, interaction.payload));
    if (interaction.kind === 'view_submission') this.track(this.onViewSubmission(host, interaction.payload));
    return new Response(null, { status: 200 });
  }

  /** Resolves once every interaction already acknowledged has been fully processed. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.options.logger.error(`${PREFIX} processing an interaction failed: ${describeError(error)}`);
    });
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }

  private async refuseForeignTeam(
    host: TransportHost,
    teamId: string | null,
    interaction: Interaction,
  ): Promise<void> {
    this.options.logger.warn(`${PREFIX} refused an interaction from workspace ${teamId ?? '(none)'}`);
    if (interaction.kind !== 'block_actions') return;
    const requestId = interaction.payload.actions[0]?.value;
    if (requestId === undefined || !REQUEST_ID.test(requestId)) return;
    const request = await host.getRequest(requestId);
    if (request === null) return;
    await this.options.replies.audit(
      request.id,
      slackIdentity(teamId ?? 'unknown', interaction.payload.user.id),
      'click from another Slack workspace',
    );
  }

  private async onBlockActions(host: TransportHost, payload: BlockActions): Promise<void> {
    const action = payload.actions.find((a) => Object.values<string>(ACTION).includes(a.action_id));
    if (action === undefined) return;
    const where: Where = {
      channel: payload.container?.channel_id ?? payload.channel?.id,
      ts: payload.container?.message_ts,
      user: payload.user.id,
      team: payload.team?.id ?? this.options.teamId,
    };
    if (BATCH_ACTIONS.includes(action.action_id)) return this.onBatch(host, action, where);
    const request = await this.postedRequest(host, action.value, where);
    if (request === null) return;
    const approver = await this.options.identity.identify(request, where);
    if (approver === null) return;
    const terms = presentRequest(request, { rule: host.rule?.(request.ruleId) ?? null }).terms;
    const outcome =
      action.action_id === ACTION.Deny || action.action_id === ACTION.DenyWithReason ? 'deny' : 'approve';
    const justThisCall = action.action_id === ACTION.ApproveJustThisCall;
    // A rule that requires a comment gets it from the modal; the button alone decides nothing.
    if (action.action_id === ACTION.DenyWithReason || needsComment(terms, outcome)) {
      await this.openReasonModal(request, approver, where, payload.trigger_id, outcome, justThisCall);
      return;
    }
    await this.decide(host, request.id, where, {
      approver,
      outcome,
      via: VIA,
      ...(justThisCall ? { justThisCall: true } : {}),
    });
  }

  /**
   * Approve all / Deny all on a batch message: the button's value names each request and the params
   * hash shown; the clicker is identified as for single requests, and core applies the decision to
   * every request or to none (any it may not decide refuses the whole batch).
   */
  private async onBatch(host: TransportHost, action: BlockAction, where: Where): Promise<void> {
    const { replies } = this.options;
    const entries = decodeBatch(action.value);
    const first = entries === null ? null : await host.getRequest(entries[0]!.id);
    if (entries === null || first === null || where.channel === undefined || where.ts === undefined) {
      await replies.tell(where, SAY.notFound);
      return;
    }
    const approver = await this.options.identity.identify(first, where);
    if (approver === null) return;
    if (host.decideBatch === undefined) {
      await replies.tell(where, SAY.noBatch);
      return;
    }
    try {
      await host.decideBatch({
        approver,
        outcome: action.action_id === ACTION.BatchDeny ? 'deny' : 'approve',
        via: VIA,
        requests: entries,
        ...(action.action_id === ACTION.BatchApproveJustThese ? { justThisCall: true } : {}),
      });
    } catch (error) {
      if (isCountersignError(error, 'batch_refused')) {
        await replies.tell(where, batchRefused((error as BatchRefusedError).problems));
      } else {
        this.options.logger.error(`${PREFIX} recording a batch decision failed: ${describeError(error)}`);
        await replies.tell(where, SAY.failed);
      }
    }
    try {
      await this.options.repaintBatch(where.channel, where.ts, entries);
    } catch (error) {
      this.options.logger.warn(`${PREFIX} could not update a batch message: ${describeError(error)}`);
    }
  }

  private async onViewSubmission(host: TransportHost, payload: ViewSubmission): Promise<void> {
    const submitted = submittedComment(payload);
    if (submitted === null) return;
    let origin: unknown;
    try {
      origin = JSON.parse(payload.view.private_metadata);
    } catch {
      origin = null;
    }
    const parsed = modalOriginSchema.safeParse(origin);
    if (!parsed.success) {
      this.options.logger.warn(`${PREFIX} refused a deny-with-reason submission without a valid origin`);
      return;
    }
    const where: Where = {
      channel: parsed.data.channel,
      ts: parsed.data.ts,
      user: payload.user.id,
      team: payload.team?.id ?? this.options.teamId,
    };
    const request = await this.postedRequest(host, parsed.data.requestId, where);
    if (request === null) return;
    const approver = await this.options.identity.identify(request, where);
    if (approver === null) return;
    await this.decide(host, request.id, where, {
      approver,
      outcome: submitted.outcome,
      comment: submitted.comment.length > 0 ? submitted.comment : undefined,
      via: VIA,
      ...(submitted.outcome === 'approve' && parsed.data.justThisCall === true ? { justThisCall: true } : {}),
    });
  }

  /**
   * The request the button names, only if the click came from the message this transport posted
   * for it: the stored delivery receipt (any process) or, before it is stored, this process's post.
   */
  private async postedRequest(
    host: TransportHost,
    requestId: string | undefined,
    where: Where,
  ): Promise<ApprovalRequest | null> {
    const { replies } = this.options;
    if (requestId === undefined || !REQUEST_ID.test(requestId)) {
      await replies.tell(where, SAY.notFound);
      return null;
    }
    const request = await host.getRequest(requestId);
    if (request === null) {
      await replies.tell(where, SAY.notFound);
      return null;
    }
    const receipts = request.deliveries.filter((receipt) => receipt.transport === this.options.transportName);
    const refs =
      receipts.length > 0 ? receipts.map((receipt) => receipt.ref) : [this.options.postedMessage(request.id)];
    const matches = refs.some(
      (ref) => ref !== undefined && ref.channel === where.channel && ref.ts === where.ts,
    );
    if (!matches) {
      await replies.audit(
        request.id,
        slackIdentity(where.team, where.user),
        'button does not match the message posted for this request',
      );
      await replies.tell(where, SAY.wrongMessage);
      return null;
    }
    return request;
  }

  private async openReasonModal(
    request: ApprovalRequest,
    approver: string,
    where: Where,
    triggerId: string | undefined,
    outcome: 'approve' | 'deny',
    justThisCall: boolean,
  ): Promise<void> {
    const { replies } = this.options;
    // Checked before the modal opens so nobody types a reason that will be refused; core checks again.
    switch (decisionProblem(request, approver, this.options.clock().now())) {
      case null:
        break;
      case 'not_pending':
        return replies.tell(where, alreadyDecided(request.status));
      case 'expired':
        return replies.tell(where, alreadyDecided('expired'));
      case 'self_approval':
        await replies.audit(request.id, approver, 'self-approval');
        return replies.tell(where, SAY.self);
      case 'not_eligible':
        await replies.audit(request.id, approver, 'not an eligible approver');
        return replies.tell(where, SAY.notEligible);
      case 'already_voted':
        return replies.tell(where, SAY.voted);
    }
    if (triggerId === undefined || where.channel === undefined || where.ts === undefined) return;
    const origin = {
      requestId: request.id,
      channel: where.channel,
      ts: where.ts,
      ...(justThisCall ? { justThisCall: true } : {}),
    };
    const view = renderReasonModal(request, origin, outcome);
    try {
      await this.options.client.views.open({ trigger_id: triggerId, view });
    } catch (error) {
      this.options.logger.error(
        `${PREFIX} views.open failed: ${describeError(toCallError('views.open', error))}`,
      );
      await replies.tell(where, 'Countersign could not open the comment dialog. Try again.');
    }
  }

  private async decide(
    host: TransportHost,
    requestId: string,
    where: Where,
    decision: DecisionInput,
  ): Promise<void> {
    const { replies } = this.options;
    try {
      await host.decide(requestId, decision);
    } catch (error) {
      const code = isCountersignError(error) ? error.code : null;
      switch (code) {
        case 'self_approval':
          return replies.tell(where, SAY.self);
        case 'not_eligible':
          return replies.tell(where, SAY.notEligible);
        case 'already_voted':
          return replies.tell(where, SAY.voted);
        case 'already_decided':
          return replies.tell(where, alreadyDecided((error as { status?: string }).status ?? 'settled'));
        case 'request_not_found':
          return replies.tell(where, SAY.notFound);
        case 'invalid_input':
          // The only input a click can get wrong: a comment the rule requires, left blank.
          if (/requires a comment/.test((error as Error).message))
            return replies.tell(where, SAY.commentRequired);
          return replies.tell(where, SAY.failed);
        default:
          this.options.logger.error(
            `${PREFIX} recording a decision on ${requestId} failed: ${describeError(error)}`,
          );
          return replies.tell(where, SAY.failed);
      }
    }
  }
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });
}

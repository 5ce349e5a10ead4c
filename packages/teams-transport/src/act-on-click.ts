// A click after authentication: replay, request, tenant, card, identity, then core's decision.
import type { TransportHost } from '@countersign/core';
import { type CardAction, KNOWN_VERBS } from './activity.js';
import type { TeamsTransportLogger } from './call-error.js';
import { VERB } from './card.js';
import { viewerFor } from './card-viewer.js';
import { claimedRequestId } from './claimed-request.js';
import type { ClickOutcome } from './click-outcome.js';
import { did, SAY } from './clicker-messages.js';
import type { TeamsTransportOptions } from './options.js';
import { isPostedCard } from './posted-card.js';
import { recordDecision } from './record-decision.js';
import { auditRefusal, clickerIdentity, refusalMessage } from './refusal.js';
import { remember } from './remember.js';
import { resolveClicker } from './resolve-clicker.js';
import { canonicalTeamsId, sameTeamsId } from './teams-identity.js';
import { withinBudget } from './within-budget.js';

/** What acting on a click needs from the transport. */
export interface ClickContext {
  host: TransportHost;
  /** The transport's name, as on its delivery receipts. */
  transportName: string;
  /** The bot's own tenant: clicks from any other are refused. */
  tenantId: string;
  resolveApprover: TeamsTransportOptions['resolveApprover'];
  logger: TeamsTransportLogger;
  /** How long the invoke waits for the decision before answering with what is known. */
  invokeBudgetMs: number;
  now(): number;
  /** Activity ids already acted on: a replayed invoke changes nothing. */
  seen: Map<string, true>;
  /** Where this process posted the request's card, for clicks that beat the stored receipt. */
  postedHere(requestId: string): Record<string, string> | undefined;
  /** Notes a Teams user who clicked the request's card: their client refreshes to a personal view. */
  noteClicker(requestId: string, teamsUserId: string): void;
  /** Keeps `close` waiting for work that outlives the invoke. */
  track(work: Promise<unknown>): void;
}

/** Everything after authentication: tenant, card, identity, then core's decision. */
export async function actOnClick(ctx: ClickContext, action: CardAction): Promise<ClickOutcome> {
  const { host } = ctx;
  if (!KNOWN_VERBS.includes(action.verb)) return { error: 400, message: 'Unknown action.' };
  if (action.verb !== VERB.Refresh) {
    if (ctx.seen.has(action.activityId)) return { message: SAY.replayed };
    remember(ctx.seen, action.activityId, true);
  }
  const requestId = claimedRequestId(action);
  if (requestId === null) return { message: SAY.notFound };
  const request = await host.getRequest(requestId);
  if (request === null) return { message: SAY.notFound };
  const refuse = async (why: string, say: string) =>
    refusalMessage(
      say,
      await auditRefusal(host, ctx.logger, request.id, { approver: clickerIdentity(action), why }),
    );
  if (action.tenantId === null || !sameTeamsId(action.tenantId, ctx.tenantId)) {
    return {
      error: 400,
      message: await refuse('click from another Microsoft Entra tenant', SAY.otherTenant),
    };
  }
  if (!isPostedCard(request, action, ctx.transportName, ctx.postedHere(request.id))) {
    const why = 'card does not match the message posted for this request';
    return { error: 400, message: await refuse(why, SAY.wrongCard) };
  }
  if (action.from.aadObjectId === null) {
    return { message: await refuse('Teams account without an Entra object id', SAY.noAccount) };
  }
  const approver = await resolveClicker(
    {
      aadObjectId: canonicalTeamsId(action.from.aadObjectId),
      tenantId: canonicalTeamsId(action.tenantId),
      teamsUserId: action.from.id,
      name: action.from.name,
    },
    ctx.resolveApprover,
    ctx.logger,
  );
  if (approver === null) {
    return { message: await refuse('Teams user has no approver identity', SAY.unmapped) };
  }
  if (action.verb === VERB.Refresh) return { card: request, viewer: viewerFor(request, approver, ctx.now()) };
  ctx.noteClicker(request.id, action.from.id);
  const outcome = action.verb === VERB.Deny ? 'deny' : 'approve';
  const justThisCall = action.verb === VERB.ApproveJustThisCall;
  // Core re-renders the card before decide resolves; Teams will not wait for rate-limited updates.
  const deciding = recordDecision(host, ctx.logger, {
    requestId: request.id,
    approver,
    outcome,
    reason: action.reason,
    justThisCall,
  });
  ctx.track(deciding);
  return withinBudget(deciding, ctx.invokeBudgetMs, async () => {
    const now = await host.getRequest(request.id).catch(() => null);
    const mine = now?.decisions.find((d) => d.approver === approver);
    if (now === null || mine === undefined) return { message: SAY.recording };
    return { card: now, viewer: { canDecide: false, note: did(mine.outcome) } };
  });
}

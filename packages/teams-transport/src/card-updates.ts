// Replacing a posted card in place: one queue per request, and an older state never over a newer one.
import type { ApprovalRequest } from '@countersign/core';
import type { AdaptiveCard } from './card.js';
import { cardActivity } from './card.js';
import type { ConnectorClient } from './connector.js';
import { remember } from './remember.js';

/** How long an update may wait out rate limits: updates have no deadline of their own. */
export const UPDATE_RETRY_BUDGET_MS = 60_000;
const MAX_UPDATE_ROUNDS = 5;

export interface CardUpdatesDeps {
  connector: ConnectorClient;
  now(): number;
  /** The request as stored now, or null when it cannot be read. */
  reread(requestId: string): Promise<ApprovalRequest | null>;
  /** The card that shows `request` in the channel. */
  card(request: ApprovalRequest): AdaptiveCard;
}

/** The newest version each posted card shows, and the queue its updates run in. */
export class CardUpdates {
  private readonly shown = new Map<string, { version: number; queue: Promise<void> }>();

  constructor(private readonly deps: CardUpdatesDeps) {}

  /** Notes that the request's card, just posted, shows `version`. */
  markShown(requestId: string, version: number): void {
    const state = this.shown.get(requestId) ?? { version: 0, queue: Promise.resolve() };
    state.version = Math.max(state.version, version);
    remember(this.shown, requestId, state);
  }

  /** Replaces the card at `posted` with `request` (`PUT …/activities/{id}`), after earlier updates. */
  async update(
    request: ApprovalRequest,
    posted: { serviceUrl: string; conversationId: string; activityId: string },
  ): Promise<void> {
    const { serviceUrl, conversationId, activityId } = posted;
    const state = this.shown.get(request.id) ?? { version: 0, queue: Promise.resolve() };
    const run = state.queue.then(async () => {
      // Updates can arrive out of order; an older state must never replace a newer one.
      let latest: ApprovalRequest | null = request;
      for (
        let round = 0;
        latest !== null && latest.version > state.version && round < MAX_UPDATE_ROUNDS;
        round++
      ) {
        await this.deps.connector.updateActivity(
          serviceUrl,
          conversationId,
          activityId,
          cardActivity(this.deps.card(latest)),
          { deadline: this.deps.now() + UPDATE_RETRY_BUDGET_MS },
        );
        state.version = Math.max(state.version, latest.version);
        // Another process may have changed the request while this update was in flight.
        latest = await this.deps.reread(request.id);
      }
    });
    state.queue = run.catch(() => {});
    remember(this.shown, request.id, state);
    await run;
  }
}

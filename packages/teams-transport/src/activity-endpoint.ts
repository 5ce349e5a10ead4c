// The bot's messaging endpoint: the connector's token is verified before anything in an activity is trusted.
import { type ApprovalRequest, readCappedBody, type TransportHost } from '@countersign/core';
import { type CardAction, parseActivity, readEnvelope } from './activity.js';
import type { TeamsTransportLogger } from './call-error.js';
import type { AdaptiveCard, CardViewer } from './card.js';
import { auditClaimed } from './claimed-request.js';
import { answerClick, type ClickOutcome } from './click-outcome.js';
import { SAY } from './clicker-messages.js';
import { describeError } from './describe-error.js';
import type { OpenIdKeys } from './openid-keys.js';
import { PREFIX } from './options.js';
import { isAllowedServiceUrl } from './service-url.js';
import { verifyConnectorToken } from './verify-token.js';

const CHANNEL_ID = 'msteams';

/** What the endpoint needs from the transport. */
export interface ActivityEndpoint {
  /** The host, or null while the transport is not started or once it is closed: nothing is accepted then. */
  acceptingHost(): TransportHost | null;
  appId: string;
  keys: OpenIdKeys;
  allowedOrigins: ReadonlySet<string>;
  maxBodyBytes: number;
  logger: TeamsTransportLogger;
  now(): number;
  /** Keeps `close` waiting for `work`. */
  track(work: Promise<unknown>): void;
  /** Everything done with a card action once its activity is authenticated. */
  act(action: CardAction): Promise<ClickOutcome>;
  /** The request's card as `viewer` sees it, for the invoke's answer. */
  card(request: ApprovalRequest, viewer: CardViewer): AdaptiveCard;
}

/**
 * Answers one activity: verifies the connector's token, then answers an `adaptiveCard/action`
 * invoke with the updated card (or why nothing changed).
 */
export async function handleActivity(endpoint: ActivityEndpoint, request: Request): Promise<Response> {
  const { logger } = endpoint;
  const host = endpoint.acceptingHost();
  if (host === null) return text(503, 'not accepting activities');
  if (request.method !== 'POST') return text(405, 'POST only', { allow: 'POST' });
  const authorization = request.headers.get('authorization');
  if (authorization === null) {
    await request.body?.cancel().catch(() => {});
    logger.warn(`[countersign] ${PREFIX} refused an activity: missing`);
    return text(401, 'unauthorized');
  }
  const body = await readCappedBody(request, endpoint.maxBodyBytes);
  if (body === null) return text(413, 'request body too large');
  const envelope = readEnvelope(body);
  if (envelope === null) return text(400, 'malformed activity');
  const check = await verifyConnectorToken({
    authorization,
    keys: endpoint.keys,
    appId: endpoint.appId,
    channelId: envelope.channelId,
    serviceUrl: envelope.serviceUrl,
    now: endpoint.now(),
  });
  if (!check.ok) {
    logger.warn(`[countersign] ${PREFIX} refused an activity: ${check.reason}`);
    return check.reason === 'keys_unavailable'
      ? text(503, 'cannot verify tokens now')
      : text(401, 'unauthorized');
  }
  if (envelope.channelId !== CHANNEL_ID) return text(400, 'this bot serves Microsoft Teams only');
  const parsed = parseActivity(envelope);
  if (!parsed.ok) {
    logger.warn(`[countersign] ${PREFIX} refused an authenticated activity: ${parsed.problem}`);
    return text(400, 'malformed activity');
  }
  if (!isAllowedServiceUrl(envelope.serviceUrl, endpoint.allowedOrigins)) {
    // The token names this serviceUrl, but the bot never trusts a connector off its allow-list.
    logger.warn(`[countersign] ${PREFIX} refused an activity: serviceUrl not on allowedServiceOrigins`);
    if (parsed.action !== null) {
      const auditing = auditClaimed(
        host,
        logger,
        parsed.action,
        'activity serviceUrl is not on allowedServiceOrigins',
      );
      endpoint.track(auditing);
      await auditing;
    }
    return text(401, 'unauthorized');
  }
  if (parsed.action === null) return new Response(null, { status: 200 });
  const action = parsed.action;
  const work = endpoint.act(action);
  endpoint.track(work);
  const outcome = await work.catch((error: unknown): ClickOutcome => {
    logger.error(`[countersign] ${PREFIX} processing a card action failed: ${describeError(error)}`);
    return { message: SAY.failed };
  });
  // The fallback Action.Submit arrives as a message: Teams shows no answer, the card update is the answer.
  if (action.kind === 'submit') return new Response(null, { status: 200 });
  return answerClick(outcome, endpoint.card);
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });
}

// Parses the inbound activities the transport acts on: card actions, as invokes or fallback messages.
import { REASON_INPUT, VERB } from './card.js';

/** The activity fields needed to verify the token before anything else is trusted. */
export interface Envelope {
  json: Record<string, unknown>;
  channelId: string;
  serviceUrl: string;
}

/** A card action as the transport acts on it. */
export interface CardAction {
  /** `execute`: an `adaptiveCard/action` invoke, answered with a card. `submit`: the fallback message. */
  kind: 'execute' | 'submit';
  activityId: string;
  serviceUrl: string;
  /** The Teams user id (`29:…`), the Entra object id and display name of who clicked. */
  from: { id: string; aadObjectId: string | null; name: string | null };
  conversationId: string;
  tenantId: string | null;
  /** The id of the message holding the card that was clicked. */
  replyToId: string | null;
  verb: string;
  /** The request the card's data names: only a claim until checked against the delivery receipt. */
  requestId: string | null;
  reason: string | null;
}

export type Parsed =
  | { ok: true; action: CardAction }
  | { ok: true; action: null; type: string }
  | { ok: false; problem: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown, max = 1_000): string | null =>
  typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;

/** The JSON body's `channelId` and `serviceUrl`, or null when it is not an activity. Never throws. */
export function readEnvelope(body: Uint8Array): Envelope | null {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(json)) return null;
  const channelId = str(json.channelId, 100);
  const serviceUrl = str(json.serviceUrl, 2_000);
  if (channelId === null || serviceUrl === null) return null;
  return { json, channelId, serviceUrl };
}

/** The card action in an authenticated activity, null for activities the transport ignores. */
export function parseActivity({ json, serviceUrl }: Envelope): Parsed {
  const type = str(json.type, 100);
  if (type === null) return { ok: false, problem: 'activity has no type' };
  let verb: string | null;
  let data: unknown;
  let kind: CardAction['kind'];
  if (type === 'invoke' && json.name === 'adaptiveCard/action') {
    const value = json.value;
    if (!isRecord(value) || !isRecord(value.action))
      return { ok: false, problem: 'invoke has no value.action' };
    if (value.action.type !== 'Action.Execute') return { ok: false, problem: 'action is not Action.Execute' };
    verb = str(value.action.verb, 100);
    data = value.action.data ?? {};
    kind = 'execute';
  } else if (type === 'message' && isRecord(json.value) && 'countersignVerb' in json.value) {
    verb = str(json.value.countersignVerb, 100);
    data = json.value;
    kind = 'submit';
  } else {
    return { ok: true, action: null, type };
  }
  if (verb === null) return { ok: false, problem: 'action has no verb' };
  if (!isRecord(data)) return { ok: false, problem: 'action data is not an object' };
  const activityId = str(json.id, 500);
  const from = json.from;
  const conversation = json.conversation;
  if (activityId === null || !isRecord(from) || !isRecord(conversation)) {
    return { ok: false, problem: 'activity lacks id, from or conversation' };
  }
  const fromId = str(from.id, 500);
  const conversationId = str(conversation.id, 1_000);
  if (fromId === null || conversationId === null)
    return { ok: false, problem: 'activity lacks from.id or conversation.id' };
  const channelData = isRecord(json.channelData) ? json.channelData : {};
  const tenants = [
    str(conversation.tenantId, 100),
    isRecord(channelData.tenant) ? str(channelData.tenant.id, 100) : null,
  ].filter((t): t is string => t !== null);
  if (new Set(tenants).size > 1) return { ok: false, problem: 'activity names two tenants' };
  const reason = data[REASON_INPUT.id];
  if (reason !== undefined && typeof reason !== 'string') return { ok: false, problem: 'reason is not text' };
  return {
    ok: true,
    action: {
      kind,
      activityId,
      serviceUrl,
      from: { id: fromId, aadObjectId: str(from.aadObjectId, 100), name: str(from.name, 500) },
      conversationId,
      tenantId: tenants[0] ?? null,
      replyToId: str(json.replyToId, 500),
      verb,
      requestId: str(data.requestId, 200),
      reason: reason === undefined ? null : reason.trim().slice(0, REASON_INPUT.maxLength),
    },
  };
}

export const KNOWN_VERBS: readonly string[] = Object.values(VERB);

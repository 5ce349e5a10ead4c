// Parsing Slack's interaction payloads (and its ssl_check) from a verified form body.
import { z } from 'zod';
import { COMMENT_MODAL, REASON_MODAL } from './render.js';

const team = z.object({ id: z.string() }).nullable().optional();
const user = z.object({ id: z.string().min(1), team_id: z.string().optional() });

/** Just enough of any interaction to route it and check its workspace. */
const envelopeSchema = z.object({ type: z.string(), team, user: user.optional() });

/** The parts of Slack's `block_actions` payload the transport reads. */
const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  team,
  user,
  trigger_id: z.string().optional(),
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional() }).optional(),
  channel: z.object({ id: z.string() }).optional(),
  actions: z
    .array(z.object({ action_id: z.string(), value: z.string().optional() }))
    .min(1)
    .max(25),
});
export type BlockActions = z.infer<typeof blockActionsSchema>;

/** The parts of Slack's `view_submission` payload the transport reads. */
const viewSubmissionSchema = z.object({
  type: z.literal('view_submission'),
  team,
  user,
  view: z.object({
    callback_id: z.string(),
    private_metadata: z.string(),
    state: z.object({
      values: z.record(z.string(), z.record(z.string(), z.looseObject({ value: z.string().nullish() }))),
    }),
  }),
});
export type ViewSubmission = z.infer<typeof viewSubmissionSchema>;

export const modalOriginSchema = z.object({
  requestId: z.string().min(1).max(200),
  channel: z.string().min(1).max(100),
  ts: z.string().min(1).max(100),
  justThisCall: z.boolean().optional(),
});

export type Interaction =
  /** Slack checking the URL's certificate: answered 200, decides nothing. */
  | { kind: 'ssl_check' }
  | { kind: 'block_actions'; payload: BlockActions }
  | { kind: 'view_submission'; payload: ViewSubmission }
  | { kind: 'other'; type: string };

export type ParsedInteraction =
  | { ok: true; teamId: string | null; interaction: Interaction }
  | { ok: false; problem: string };

/** Parses `payload=<JSON>` from a form body, as Slack sends interactions. Never throws. */
export function parseInteraction(rawBody: Uint8Array): ParsedInteraction {
  const form = new URLSearchParams(Buffer.from(rawBody).toString('utf8'));
  // Checked first, so a body that also carries a payload still decides nothing.
  if (form.get('ssl_check') === '1') return { ok: true, teamId: null, interaction: { kind: 'ssl_check' } };
  const payload = form.get('payload');
  if (payload === null) return { ok: false, problem: 'no payload field' };
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { ok: false, problem: 'payload is not JSON' };
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, problem: 'payload has no type' };
  const teamId = envelope.data.team?.id ?? null;
  const schema =
    envelope.data.type === 'block_actions'
      ? blockActionsSchema
      : envelope.data.type === 'view_submission'
        ? viewSubmissionSchema
        : null;
  if (schema === null) return { ok: true, teamId, interaction: { kind: 'other', type: envelope.data.type } };
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, problem: `malformed ${envelope.data.type} payload` };
  return {
    ok: true,
    teamId,
    interaction:
      parsed.data.type === 'block_actions'
        ? { kind: 'block_actions', payload: parsed.data }
        : { kind: 'view_submission', payload: parsed.data },
  };
}

/** The decision and comment typed into one of our comment modals, or null when the view is not ours. */
export function submittedComment(
  payload: ViewSubmission,
): { outcome: 'approve' | 'deny'; comment: string } | null {
  const { callback_id } = payload.view;
  const outcome =
    callback_id === REASON_MODAL.callbackId
      ? 'deny'
      : callback_id === COMMENT_MODAL.callbackId
        ? 'approve'
        : null;
  if (outcome === null) return null;
  const value = payload.view.state.values[REASON_MODAL.blockId]?.[REASON_MODAL.actionId]?.value;
  return { outcome, comment: (value ?? '').trim().slice(0, REASON_MODAL.maxLength) };
}

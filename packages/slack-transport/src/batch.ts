// Batch messages: several pending requests of one session in one message, decided together through host.decideBatch.
import { type ApprovalRequest, presentRequest, ValidationError } from '@countersign/core';
import type { KnownBlock } from '@slack/types';
import { cutNotice } from './cut-notice.js';
import { code, codeBlock, mrkdwnLength } from './escape.js';
import { ACTION, button, type RenderedMessage, slackDate } from './render.js';

/**
 * Most requests one batch message lists: each button's value names every request with its params
 * hash, and Slack caps a button value at 2,000 characters (20 × 90 fits).
 */
export const MAX_BATCH_MESSAGE = 20;

/** One request of a batch as its buttons carry it: the id and the params hash the approver was shown. */
export interface BatchEntry {
  id: string;
  paramsHash: string;
}

const ENTRY = /^(req_[a-z0-9]{1,40}):([0-9a-f]{64})$/;
const PARAMS_BUDGET = 300;

/** `id:hash,id:hash`: the value of a batch message's buttons. */
export function encodeBatch(entries: readonly BatchEntry[]): string {
  return entries.map((entry) => `${entry.id}:${entry.paramsHash}`).join(',');
}

/** The entries a batch button names, or null when its value is not one this transport wrote. */
export function decodeBatch(value: string | undefined): BatchEntry[] | null {
  if (value === undefined || value.length === 0) return null;
  const entries: BatchEntry[] = [];
  for (const part of value.split(',')) {
    const match = ENTRY.exec(part);
    if (match === null) return null;
    entries.push({ id: match[1]!, paramsHash: match[2]! });
  }
  if (entries.length > MAX_BATCH_MESSAGE || new Set(entries.map((e) => e.id)).size !== entries.length) {
    return null;
  }
  return entries;
}

/**
 * Refuses a batch that is empty, too long, repeats a request, mixes sessions or holds a settled
 * request, and options other than `channel`.
 */
export function checkBatch(requests: readonly ApprovalRequest[], options: object): void {
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (key !== 'channel') problems.push(`unknown option ${JSON.stringify(key)}; the option is channel`);
  }
  const { channel } = options as { channel?: unknown };
  if (channel !== undefined && (typeof channel !== 'string' || channel.length === 0)) {
    problems.push('channel must be a channel id such as C0123');
  }
  if (!Array.isArray(requests) || requests.length === 0) problems.push('requests: give at least one request');
  else {
    if (requests.length > MAX_BATCH_MESSAGE) {
      problems.push(`requests: at most ${MAX_BATCH_MESSAGE} per batch message, got ${requests.length}`);
    }
    if (new Set(requests.map((r) => r.id)).size !== requests.length) problems.push('requests: an id repeats');
    const sessions = new Set(requests.map((r) => r.sessionId));
    if (sessions.size > 1) problems.push('requests: a batch lists the requests of one session only');
    for (const request of requests) {
      if (request.status !== 'pending') problems.push(`${request.id}: is ${request.status}, not pending`);
      else if (!ENTRY.test(`${request.id}:${request.action.paramsHash}`)) {
        problems.push(`${request.id}: not a request id and params hash this transport can carry`);
      }
    }
  }
  if (problems.length > 0) throw new ValidationError('[slack] postBatch', problems);
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text, verbatim: true });

/**
 * The batch message: the session, then each request (action, resource, risk, status, params and
 * their hash), and while any is pending, Approve all / Deny all buttons naming every request and the
 * params hash shown. Everything from the requests is escaped.
 */
export function renderBatchMessage(
  requests: readonly ApprovalRequest[],
  options: { reusable: boolean; publicUrl?: string | undefined },
): RenderedMessage {
  const first = presentRequest(requests[0]!);
  const open = requests.some((r) => r.status === 'pending');
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      block_id: 'countersign_batch_header',
      text: { type: 'plain_text', text: `Approval needed: ${requests.length} requests`, emoji: false },
    },
    {
      type: 'section',
      block_id: 'countersign_batch_summary',
      text: mrkdwn(
        `*Session* ${code(first.who.sessionId)} · *Agent* ${code(first.who.actor)}\nOne decision applies to every request listed, or to none of them.`,
      ),
    },
  ];
  for (const [i, request] of requests.entries()) {
    const p = presentRequest(request, { paramsBudget: PARAMS_BUDGET, measure: mrkdwnLength(true) });
    const params = codeBlock(p.what.paramsText, Number.POSITIVE_INFINITY);
    const notice = cutNotice(p, [], options.publicUrl);
    const resource = p.what.resource === null ? '' : ` on ${code(p.what.resource, 100)}`;
    blocks.push({
      type: 'section',
      block_id: `countersign_batch_${i}`,
      text: mrkdwn(
        `*${i + 1}.* ${code(p.what.action, 100)}${resource} · risk ${code(p.what.risk)} · *${p.headline}* (${p.quorum.approvals} of ${p.quorum.required})\n` +
          `Request ${code(p.id, 80)} · Params hash ${code(`sha256:${p.what.paramsHash}`, 80)} · Expires ${slackDate(p.expiresAt)}\n${params.text}`,
      ),
    });
    if (notice !== null) {
      blocks.push({ type: 'context', block_id: `countersign_batch_${i}_cut`, elements: [mrkdwn(notice)] });
    }
  }
  if (open) {
    const value = encodeBatch(requests.map((r) => ({ id: r.id, paramsHash: r.action.paramsHash })));
    const elements = [button(ACTION.BatchApprove, 'Approve all', value, 'primary')];
    if (options.reusable)
      elements.push(button(ACTION.BatchApproveJustThese, 'Approve all, just these calls', value));
    elements.push(button(ACTION.BatchDeny, 'Deny all', value, 'danger'));
    blocks.push({ type: 'actions', block_id: 'countersign_batch_actions', elements });
  }
  const text = `Approval needed: ${requests.length} requests from ${code(first.who.actor, 100)} in session ${code(first.who.sessionId, 100)}`;
  return { text, blocks };
}

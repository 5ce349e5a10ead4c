// What the terminal prints about a request, rendered from core's presentation model and sanitized.
import { type ApprovalRequest, presentRequest } from '@countersign/core';
import { sanitize } from './sanitize.js';

const LABEL_WIDTH = 10;

/** An approver at a terminal sees the params whole, however long. */
const WHOLE_PARAMS = { paramsBudget: Number.MAX_SAFE_INTEGER } as const;

/** The whole request as an approver needs to judge it; every request-derived string sanitized. */
export function renderRequest(request: ApprovalRequest, now: number): string {
  const p = presentRequest(request, WHOLE_PARAMS);
  const { who, what, why } = p;
  const rows: [string, string][] = [];
  const field = (label: string, value: string) => rows.push([label, value]);

  const onBehalf = who.onBehalfOf === null ? '' : `, on behalf of ${sanitize(who.onBehalfOf)}`;
  field('who', `${sanitize(who.actor)}${onBehalf} (session ${sanitize(request.sessionId)})`);
  field('action', sanitize(what.action));
  field('resource', what.resource === null ? '(none)' : sanitize(what.resource));
  field('params', what.paramsText.split('\n').map(sanitize).join('\n'));
  if (what.redactedPaths.length > 0) field('redacted', what.redactedPaths.map(sanitize).join(', '));
  field('hash', `${what.paramsHash} (sha256 of the original params)`);
  field('risk', what.risk);
  const sofar = p.quorum.approvals > 0 ? `; ${p.quorum.approvals} so far` : '';
  field(
    'rule',
    `${sanitize(p.ruleId)}: needs ${p.quorum.required} approval(s) from ${p.approvers.map(sanitize).join(', ')}${sofar}`,
  );
  field('reason', `"${sanitize(why.reason)}"\n(${lowerFirst(why.label)})`);
  field('expires', expiry(p.expiresAt, now));

  const indent = ' '.repeat(LABEL_WIDTH + 2);
  const body = rows
    .map(([label, value]) => `  ${label.padEnd(LABEL_WIDTH)}${value.split('\n').join(`\n${indent}`)}`)
    .join('\n');
  return `\n-- approval needed: ${sanitize(p.id)} ${'-'.repeat(24)}\n${body}\n`;
}

/**
 * One line saying what changed since `previous`, or null when nothing an approver cares about
 * did (for example a delivery receipt being recorded).
 */
export function renderChange(
  request: ApprovalRequest,
  previous: { status: string; decisions: number } | undefined,
): string | null {
  if (previous && previous.status === request.status && previous.decisions === request.decisions.length) {
    return null;
  }
  const p = presentRequest(request);
  const id = sanitize(p.id);
  const reason = p.closedReason === null ? '' : ` (${sanitize(p.closedReason)})`;
  switch (p.status) {
    case 'pending': {
      const latest = p.decisions[p.decisions.length - 1];
      if (!latest) return null;
      return `${id}: ${sanitize(latest.approver)} approved (${p.quorum.approvals} of ${p.quorum.required})`;
    }
    case 'approved':
      return `${id}: approved by ${p.quorum.approvedBy.map(sanitize).join(', ')}`;
    case 'denied': {
      const comment = p.denial?.comment ? ` (${sanitize(p.denial.comment)})` : '';
      return `${id}: denied${p.denial ? ` by ${sanitize(p.denial.approver)}` : ''}${comment}`;
    }
    case 'executed':
      return `${id}: executed`;
    case 'failed':
      return `${id}: the action failed${reason}`;
    case 'expired':
    case 'cancelled':
      return `${id}: ${p.status}${reason}`;
  }
}

/** `Stated by…` as it reads inside a sentence. */
function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function expiry(expiresAt: number, now: number): string {
  const left = expiresAt - now;
  const at = new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return left > 0 ? `in ${formatDuration(left)} (${at})` : `already past its deadline (${at})`;
}

/** `'14m 59s'`, `'2h 5m'`, `'45s'`, `'250ms'`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.floor(ms / 1_000);
  const h = Math.floor(seconds / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return s > 0 ? `${m}m ${s}s` : `${m}m`;
  return `${s}s`;
}

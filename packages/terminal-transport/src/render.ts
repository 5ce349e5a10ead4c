import { type ApprovalRequest, approvalsOf } from '@countersign/core';
import { sanitize } from './sanitize.js';

const LABEL_WIDTH = 10;

/** The whole request as an approver needs to judge it; every request-derived string sanitized. */
export function renderRequest(request: ApprovalRequest, now: number): string {
  const { action } = request;
  const rows: [string, string][] = [];
  const field = (label: string, value: string) => rows.push([label, value]);

  const onBehalf = request.onBehalfOf === null ? '' : `, on behalf of ${sanitize(request.onBehalfOf)}`;
  field('who', `${sanitize(request.actor)}${onBehalf} (session ${sanitize(request.sessionId)})`);
  field('action', sanitize(action.name));
  field('resource', action.resource === null ? '(none)' : sanitize(action.resource));
  field('params', JSON.stringify(action.params, null, 2).split('\n').map(sanitize).join('\n'));
  if (action.redactedPaths.length > 0) field('redacted', action.redactedPaths.map(sanitize).join(', '));
  field('hash', `${action.paramsHash} (sha256 of the original params)`);
  field('risk', request.risk);
  const approvals = approvalsOf(request).length;
  const sofar = approvals > 0 ? `; ${approvals} so far` : '';
  field(
    'rule',
    `${sanitize(request.ruleId)}: needs ${request.quorum} approval(s) from ${request.approvers.map(sanitize).join(', ')}${sofar}`,
  );
  field('reason', `"${sanitize(request.reason)}"\n(stated by the agent, unverified)`);
  field('expires', expiry(request.expiresAt, now));

  const indent = ' '.repeat(LABEL_WIDTH + 2);
  const body = rows
    .map(([label, value]) => `  ${label.padEnd(LABEL_WIDTH)}${value.split('\n').join(`\n${indent}`)}`)
    .join('\n');
  return `\n-- approval needed: ${sanitize(request.id)} ${'-'.repeat(24)}\n${body}\n`;
}

/**
 * One line saying what changed since `previous`, or null when nothing an approver cares about
 * did (for example a delivery receipt being recorded).
 */
export function renderChange(
  request: ApprovalRequest,
  previous: { status: string; decisions: number } | undefined,
): string | null {
  const id = sanitize(request.id);
  const status = request.status;
  if (previous && previous.status === status && previous.decisions === request.decisions.length) return null;
  const reason = request.closedReason === null ? '' : ` (${sanitize(request.closedReason)})`;
  switch (status) {
    case 'pending': {
      const latest = request.decisions[request.decisions.length - 1];
      if (!latest) return null;
      return `${id}: ${sanitize(latest.approver)} approved (${approvalsOf(request).length} of ${request.quorum})`;
    }
    case 'approved':
      return `${id}: approved by ${approvalsOf(request)
        .map((d) => sanitize(d.approver))
        .join(', ')}`;
    case 'denied': {
      const denial = request.decisions.find((d) => d.outcome === 'deny');
      const comment = denial?.comment ? ` (${sanitize(denial.comment)})` : '';
      return `${id}: denied${denial ? ` by ${sanitize(denial.approver)}` : ''}${comment}`;
    }
    case 'executed':
      return `${id}: executed`;
    case 'failed':
      return `${id}: the action failed${reason}`;
    case 'expired':
    case 'cancelled':
      return `${id}: ${status}${reason}`;
  }
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

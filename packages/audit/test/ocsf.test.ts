import {
  AUDIT_TYPES,
  AuditActions,
  type AuditEntry,
  type RedactedAction,
  UNENDED_GRANT_REASON,
} from '@countersign/core';
import { describe, expect, test } from 'vitest';
import { OCSF_OUTCOMES, readAuditEntries, toOcsf, toOcsfEvent } from '../src/index.js';
import { validateApiActivity } from './ocsf-schema.js';
import { everyEntryType } from './scenario.js';

describe('the OCSF schema check itself', () => {
  test('rejects an unknown attribute, a missing required one, a bad enum value and a wrong caption', async () => {
    const { cs, entries } = await everyEntryType();
    await cs.close();
    const event = JSON.parse(JSON.stringify(toOcsfEvent(entries[0]!))) as Record<string, unknown>;
    expect(validateApiActivity(event)).toEqual([]);
    const { api: _, ...noApi } = event;
    expect(validateApiActivity(noApi)).toContain('api is required');
    expect(validateApiActivity({ ...event, approver: 'user:bob' })).toContain(
      'approver is not an attribute here',
    );
    expect(validateApiActivity({ ...event, disposition_id: 42 })).toEqual([
      expect.stringMatching(/^disposition_id 42 is not one of 0, 1, 2/),
    ]);
    expect(validateApiActivity({ ...event, disposition: 'Blocked' })).toEqual([
      'disposition must be "Allowed" for disposition_id 1',
    ]);
    expect(validateApiActivity({ ...event, actor: {} })).toEqual([
      'actor. needs at least one of process, user, invoked_by, session, app_name, app_uid',
    ]);
    expect(
      validateApiActivity({ ...event, metadata: { ...(event.metadata as object), profiles: [] } }),
    ).toContain('disposition_id belongs to profile security_control, which metadata.profiles does not list');
    expect(validateApiActivity({ ...event, time: '2026-01-01' })).toContain('time is not a timestamp_t');
  });
});

/** Types `everyEntryType()` does not write. */
const SYNTHETIC: readonly string[] = [
  'credential_issued',
  'credential_revoked',
  'credential_reaped',
  'reuse_opened',
  'reused',
  'reuse_revoked',
  'reminded',
  'escalated',
];

describe('toOcsfEvent', () => {
  test('every entry of a run that writes every audit type is a valid OCSF 1.8 API Activity event', async () => {
    const { cs, entries } = await everyEntryType();
    await cs.close();
    // Credential, reuse and follow-up entries need a broker or rules this run lacks; they are checked
    // from synthetic entries below.
    const withoutBroker = AUDIT_TYPES.filter((type) => !SYNTHETIC.includes(type));
    expect(new Set(entries.map((entry) => entry.type))).toEqual(new Set(withoutBroker));
    for (const entry of entries) {
      const event = JSON.parse(JSON.stringify(toOcsfEvent(entry, { productVersion: '0.1.0' })));
      expect({ type: entry.type, problems: validateApiActivity(event) }).toEqual({
        type: entry.type,
        problems: [],
      });
    }
  });

  test('maps outcomes: allowed, blocked by policy, approved with the approver, refused as an alert', async () => {
    const { cs, entries } = await everyEntryType();
    await cs.close();
    const first = (type: string, where: (e: (typeof entries)[number]) => boolean = () => true) =>
      toOcsfEvent(entries.find((entry) => entry.type === type && where(entry))!);
    expect(first('allowed')).toMatchObject({
      class_uid: 6003,
      activity_name: 'allowed',
      disposition_id: 1,
      disposition: 'Allowed',
      action_id: 1,
      actor: { user: { uid: 'agent:report-bot' }, session: { uid: 'sess_1' } },
      api: { operation: 'db.read' },
      resources: [{ name: 'prod/customers', type: 'resource' }],
      policy: { uid: 'reads-ok', is_applied: true },
      is_alert: false,
    });
    expect(first('policy_denied')).toMatchObject({
      disposition_id: 2,
      disposition: 'Blocked',
      policy: { uid: 'no-iam' },
    });
    // A vote that did not settle its request (the first of two).
    const vote = first('decided', (e) => e.approver === 'user:bob');
    expect(vote).toMatchObject({
      disposition_id: 8,
      disposition: 'Approved',
      authorizations: [{ decision: 'Approved', policy: { uid: 'drops-need-two' } }],
      src_endpoint: { svc_name: 'test' },
      unmapped: { approver: 'user:bob', outcome: 'approve', onBehalfOf: 'user:alice' },
    });
    expect(vote.message).toMatch(/^user:bob voted approve db\.drop on prod\/customers \[req_/);
    const voted = entries.find((entry) => entry.type === 'decided')!;
    expect(toOcsfEvent({ ...voted, outcome: 'deny' })).toMatchObject({
      disposition: 'Rejected',
      authorizations: [{ decision: 'Denied' }],
    });
    expect(first('refused')).toMatchObject({ disposition: 'Unauthorized', is_alert: true, severity_id: 3 });
    expect(first('consume_refused')).toMatchObject({ disposition: 'Unauthorized', is_alert: true });
    expect(first('failed')).toMatchObject({
      status_id: 2,
      status: 'Failure',
      status_detail: 'Error: disk full',
    });
    expect(first('executed')).toMatchObject({ status_id: 1, status: 'Success' });
    const entry = entries[3]!;
    expect(toOcsfEvent(entry)).toMatchObject({
      time: entry.at,
      metadata: { uid: entry.hash, sequence: entry.seq, event_code: entry.type, version: '1.8.0' },
      unmapped: { seq: entry.seq, hash: entry.hash, prevHash: entry.prevHash },
    });
  });

  test('the vote that settles a request is its approved or denied event, with the approver, comment and channel', async () => {
    const { cs, entries } = await everyEntryType();
    await cs.close();
    const settled = (type: string, approver: string) => {
      const entry = entries.find((e) => e.type === type && e.approver === approver)!;
      return { entry, event: toOcsfEvent(entry) };
    };
    const denied = settled('denied', 'user:carol');
    expect(denied.event).toMatchObject({
      disposition_id: 2,
      disposition: 'Blocked',
      action_id: 2,
      severity_id: 2,
      authorizations: [{ decision: 'Denied', policy: { uid: 'exports-need-one' } }],
      src_endpoint: { svc_name: 'test' },
      unmapped: { approver: 'user:carol', outcome: 'deny', comment: 'not today', via: 'test' },
    });
    expect(denied.event.message).toBe(
      `db.export on prod/customers for agent:report-bot denied by user:carol ("not today") (rule exports-need-one) [${denied.entry.requestId}]`,
    );
    const approved = settled('approved', 'user:bob');
    expect(approved.event).toMatchObject({
      disposition_id: 8,
      disposition: 'Approved',
      action_id: 1,
      authorizations: [{ decision: 'Approved', policy: { uid: 'exports-need-one' } }],
      src_endpoint: { svc_name: 'test' },
      status_detail: '1 of 1 approvals',
      unmapped: { approver: 'user:bob', outcome: 'approve', comment: 'fine', via: 'test' },
    });
    expect(approved.event.message).toBe(
      `db.export on prod/customers for agent:report-bot approved by user:bob ("fine") (rule exports-need-one) [${approved.entry.requestId}]: 1 of 1 approvals`,
    );
    // A quorum of two: the second vote settles it, and says how many approved.
    expect(settled('approved', 'user:carol').event).toMatchObject({
      status_detail: '2 of 2 approvals',
      unmapped: { approver: 'user:carol', comment: 'second' },
    });
  });

  test('an entry that ends a grant says it was revoked, and when the grant was consumed as start_time', async () => {
    const { cs, entries } = await everyEntryType();
    await cs.close();
    const all = (type: string) => entries.filter((entry) => entry.type === type);
    // Consumed only by another process: that process's consumed entry has the time, the end has none.
    const consumedElsewhere = all('consumed')[0]!;
    const approvedRun = all('executed').find((e) => e.requestId === consumedElsewhere.requestId)!;
    expect(approvedRun.consumedAt).toBeNull();
    // The outcome names the entry that issued its grant: its action is read from there.
    expect(approvedRun.action).toBeNull();
    const actions = actionsOf(entries);
    const approvedEvent = toOcsfEvent(approvedRun, {}, actions.get(approvedRun) ?? null);
    expect(approvedEvent).toMatchObject({ status_id: 1, disposition_id: 24, disposition: 'Access Revoked' });
    expect(approvedEvent).not.toHaveProperty('start_time');
    expect(approvedEvent).not.toHaveProperty('end_time');
    expect(approvedEvent.message).toBe(
      `db.export on prod/customers ran for agent:report-bot; grant ${approvedRun.grantId} revoked [${approvedRun.requestId}]`,
    );
    expect(toOcsfEvent(consumedElsewhere)).toMatchObject({
      disposition: 'Allowed',
      start_time: consumedElsewhere.at,
      end_time: consumedElsewhere.at,
    });
    // A failure ends its grant too; this one was never consumed.
    const failed = toOcsfEvent(all('failed')[0]!);
    expect(failed).toMatchObject({ status_id: 2, status_detail: 'Error: disk full', disposition_id: 24 });
    expect(failed).not.toHaveProperty('start_time');
    // Consumed through the process running it: the one entry that ends the grant records when.
    const [read] = all('executed');
    expect(read!.consumedAt).toBe(read!.at - 1_000);
    // Converted alone, an outcome that names its grant's entry does not know its action.
    expect(toOcsfEvent(read!).message).toMatch(/^a grant ran for agent:report-bot/);
    const readEvent = toOcsfEvent(read!, {}, actions.get(read!) ?? null);
    expect(readEvent).toMatchObject({
      time: read!.at,
      start_time: read!.consumedAt,
      end_time: read!.at,
      status: 'Success',
      disposition: 'Access Revoked',
      unmapped: { grantId: read!.grantId },
    });
    expect(readEvent.unmapped).not.toHaveProperty('consumedAt');
    expect(readEvent.message).toBe(
      `db.read on prod/customers ran for agent:report-bot; grant ${read!.grantId} revoked (consumed ${new Date(read!.consumedAt!).toISOString()})`,
    );
    // A sweeper's revocation of a grant whose process stopped keeps the consumption in the chain.
    const [swept] = all('revoked');
    expect(swept).toMatchObject({ detail: UNENDED_GRANT_REASON, consumedAt: expect.any(Number) });
    const sweptEvent = toOcsfEvent(swept!);
    expect(sweptEvent).toMatchObject({
      disposition_id: 24,
      start_time: swept!.consumedAt,
      end_time: swept!.at,
      status_detail: UNENDED_GRANT_REASON,
    });
    expect(sweptEvent.message).toBe(
      `grant ${swept!.grantId} revoked (consumed ${new Date(swept!.consumedAt!).toISOString()}): ${UNENDED_GRANT_REASON}`,
    );
    // Without a grant, an outcome ends nothing: no revocation is claimed.
    const { grantId: _, ...noGrant } = read!;
    const plain = toOcsfEvent(
      { ...noGrant, grantId: null, consumedAt: null },
      {},
      actions.get(read!) ?? null,
    );
    expect(plain).toMatchObject({ status_id: 1 });
    expect(plain.disposition_id).toBeUndefined();
    expect(plain.message).toBe('db.read on prod/customers ran for agent:report-bot');
  });

  test('the mapping table covers every audit type', () => {
    for (const type of AUDIT_TYPES)
      expect({ type, mapped: type in OCSF_OUTCOMES }).toEqual({ type, mapped: true });
  });

  test('credential entries, and a type this exporter does not know, are valid events too', async () => {
    const { cs, entries } = await everyEntryType();
    await cs.close();
    const granted = entries.find((entry) => entry.type === 'granted')!;
    const detail = JSON.stringify({ broker: 'pg', handle: 'cs_grant_1' });
    for (const type of [...SYNTHETIC, 'something_new']) {
      const event = JSON.parse(JSON.stringify(toOcsfEvent({ ...granted, type, detail } as never)));
      expect({ type, problems: validateApiActivity(event) }).toEqual({ type, problems: [] });
    }
    const reaped = toOcsfEvent({ ...granted, type: 'credential_reaped', detail } as never);
    expect(reaped).toMatchObject({
      disposition: 'Access Revoked',
      severity_id: 2,
      activity_name: 'credential_reaped',
    });
    expect(toOcsfEvent({ ...granted, type: 'something_new' } as never).disposition_id).toBeUndefined();
  });
});

describe('toOcsf', () => {
  test('streams one NDJSON line per entry from an async iterable', async () => {
    const { cs, entries } = await everyEntryType();
    await cs.close();
    async function* slowly() {
      for (const entry of entries) yield entry;
    }
    const lines: string[] = [];
    const actions = actionsOf(entries);
    for await (const line of toOcsf(slowly())) lines.push(line);
    expect(lines).toHaveLength(entries.length);
    for (const [i, line] of lines.entries()) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.indexOf('\n')).toBe(line.length - 1);
      const entry = entries[i]!;
      expect(JSON.parse(line)).toEqual(
        JSON.parse(JSON.stringify(toOcsfEvent(entry, {}, actions.get(entry) ?? null))),
      );
    }
  });

  test('reads a countersign log page by page into the stream', async () => {
    const { cs, entries } = await everyEntryType();
    const pages: number[] = [];
    const source = {
      entries: async (afterSeq: number, limit: number) => {
        pages.push(afterSeq);
        return cs.audit.entries(afterSeq, limit);
      },
    };
    const lines: string[] = [];
    for await (const line of toOcsf(readAuditEntries(source, { pageSize: 10 }))) lines.push(line);
    await cs.close();
    expect(lines.map((line) => JSON.parse(line).metadata.sequence)).toEqual(
      entries.map((entry) => entry.seq),
    );
    // Full pages of 10, then the short (possibly empty) page that ends the read.
    expect(pages).toEqual(Array.from({ length: Math.floor(entries.length / 10) + 1 }, (_, i) => i * 10));
  });
});

/** Each entry's action as an auditor reads it: an outcome's is its grant's entry's. */
function actionsOf(entries: readonly AuditEntry[]): Map<AuditEntry, RedactedAction | null> {
  const reader = new AuditActions();
  return new Map(entries.map((entry) => [entry, reader.read(entry)]));
}

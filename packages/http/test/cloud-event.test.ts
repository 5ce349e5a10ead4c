import { sampleRequest } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import { eventsFor, requestEvent } from '../src/cloud-event.js';

const vote = (approver: string, outcome: 'approve' | 'deny') => ({
  approver,
  outcome,
  comment: null,
  via: 'api',
  at: 1,
});

describe('CloudEvents for a request', () => {
  test('carry the required attributes and the presentation, with a stable id per step', () => {
    const request = sampleRequest();
    const event = requestEvent('decided', request, {
      source: 'urn:test',
      at: 0,
      approvalUrl: null,
      decision: 2,
    });
    expect(event).toMatchObject({
      specversion: '1.0',
      id: `evt_${request.id}_decided_2`,
      source: 'urn:test',
      type: 'dev.countersign.request.decided',
      subject: request.id,
      time: '1970-01-01T00:00:00.000Z',
      datacontenttype: 'application/json',
    });
    expect(event.data.request.why.label).toBe('Stated by the agent, unverified');
    expect(
      requestEvent('decided', request, { source: 'urn:test', at: 99, approvalUrl: null, decision: 2 }).id,
    ).toBe(event.id);
  });

  test('each state calls for its steps, in order', () => {
    const base = sampleRequest();
    const types = (overrides: Parameters<typeof sampleRequest>[0]) =>
      eventsFor(sampleRequest(overrides)).map((e) =>
        e.decision === undefined ? e.type : `${e.type}#${e.decision}`,
      );
    expect(types({ id: base.id })).toEqual(['requested']);
    expect(types({ decisions: [vote('user:bob', 'approve')] })).toEqual(['requested', 'decided#1']);
    expect(
      types({ status: 'denied', decisions: [vote('user:bob', 'approve'), vote('user:carol', 'deny')] }),
    ).toEqual(['requested', 'decided#1', 'decided#2', 'denied']);
    expect(types({ status: 'expired' })).toEqual(['requested', 'expired']);
    expect(types({ status: 'cancelled' })).toEqual(['requested', 'cancelled']);
    expect(types({ status: 'executed', decisions: [vote('user:bob', 'approve')] })).toEqual([
      'requested',
      'decided#1',
      'approved',
      'executed',
    ]);
    expect(types({ status: 'failed', decisions: [vote('user:bob', 'approve')] })).toEqual([
      'requested',
      'decided#1',
      'approved',
      'failed',
    ]);
  });
});

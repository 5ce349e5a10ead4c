import { createCountersign, type PolicyRule } from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { afterEach, expect, test, vi } from 'vitest';
import { createApprovalServer, createJsonLogger, listen } from '../src/index.js';
import { AUDIENCE, ISSUER, testIssuer } from './helpers.js';

// In a file of its own: core's once-per-process warning memory is fresh here, so a warning the
// server's instance emitted could not hide behind one another test emitted first.

afterEach(() => {
  vi.restoreAllMocks();
});

const policy: PolicyRule[] = [
  {
    id: 'exports-need-approval',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: ['user:bob'] },
  },
];

test('the approval server (no transports) writes nothing but its JSON log lines, deciding included', async () => {
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation((warning) => {
    written.push(`warning: ${String(warning)}`);
  });
  const issuer = await testIssuer();
  const jwks = await listen(() => Response.json(issuer.jwks));
  const store = createMemoryStore();
  const lines: string[] = [];
  const server = await createApprovalServer(
    { oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: `${jwks.url}/jwks` }, policy, sweepSeconds: 0 },
    { store, logger: createJsonLogger((line) => lines.push(line)) },
  );
  // The agent, elsewhere in real life, shares the store and says nothing itself.
  const agent = createCountersign({ store, policy, logger: null });
  try {
    const opened = await agent.open(
      { name: 'db.export', resource: 'prod/customers', params: {} },
      { actor: 'agent:bot', sessionId: 's1', reason: 'report' },
    );
    if (opened.status !== 'pending') throw new Error(`expected a pending request, got ${opened.status}`);
    const token = await issuer.token({ sub: 'bob' });
    const decided = await server.fetch(
      new Request(`http://x/requests/${opened.requestId}/decisions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: 'approve' }),
      }),
    );
    expect(decided.status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    await agent.close();
    await server.close();
    await jwks.close(100);
    vi.restoreAllMocks();
  }
  expect(emitWarning).not.toHaveBeenCalled();
  expect(written).toEqual([]);
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
});

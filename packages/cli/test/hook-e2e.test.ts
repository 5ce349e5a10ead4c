// The hook against a real approval server: a person approves or denies, the grant is claimed, the outcome recorded.
import { createApprovalServer, createJsonLogger } from '@countersign/http';
import { createDevIssuer, type DevIssuer } from '@countersign/http/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectAgentApi } from '../src/hook/agent-connect.js';
import { bashInput, configFile, decisionOf, runHook, standardConfig } from './hook-fixtures.js';

let people: DevIssuer;
let agents: DevIssuer;
let server: Awaited<ReturnType<typeof createApprovalServer>>;
let url: string;
let agentToken: string;
/** What the person does with the next request: approve or deny, with a comment. */
let nextDecision: { outcome: 'approve' | 'deny'; comment: string } | null = null;
let lastRequestId: string | null = null;

beforeAll(async () => {
  people = await createDevIssuer({ issuer: 'https://people.test', audience: 'countersign' });
  agents = await createDevIssuer({ issuer: 'https://agents.test', audience: 'countersign-agents' });
  server = await createApprovalServer(
    {
      port: 0,
      policy: [
        {
          id: 'terraform-needs-bob',
          match: { action: 'shell.terraform.*', actor: 'agent:*' },
          effect: 'require_approval',
          approvers: { users: ['user:bob'] },
          grantTtl: '15m',
        },
      ],
      directory: { 'user:bob': {} },
      oidc: {
        issuer: people.issuer,
        audience: people.audience,
        jwksUrl: people.jwksUrl,
        identityPrefix: 'user:',
      },
      agents: {
        issuers: [
          { issuer: agents.issuer, audience: agents.audience, jwksUrl: agents.jwksUrl, actor: 'agent:{sub}' },
        ],
      },
      inbox: false,
      sweepSeconds: 0,
    },
    { store: createMemoryStore(), logger: createJsonLogger(() => {}) },
  );
  url = await server.listen();
  agentToken = await agents.token('claude-code');
  server.countersign.on('requested', async ({ request }) => {
    if (request === null || nextDecision === null) return;
    lastRequestId = request.id;
    const token = await people.token('bob', { expiresInSeconds: 60 });
    await fetch(`${url}/requests/${request.id}/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(nextDecision),
    });
  });
});
afterAll(async () => {
  await server.close();
  await people.close();
  await agents.close();
});

async function callStatus(callId: string): Promise<string> {
  const response = await fetch(`${url}/v1/calls/${callId}`, {
    headers: { authorization: `Bearer ${agentToken}` },
  });
  return ((await response.json()) as { status: string }).status;
}

describe('countersign hook claude-code against the approval server', () => {
  test('approved: allow after the claim; PostToolUse records executed on the server', async () => {
    nextDecision = { outcome: 'approve', comment: 'go ahead' };
    const config = standardConfig({ server: url, audience: agents.audience });
    const args = ['--config', configFile(config)];
    const client = connectAgentApi({ COUNTERSIGN_TOKEN: agentToken })(url, null);
    const input = bashInput('terraform apply -auto-approve', 'toolu_e2e_1');
    const result = await runHook(args, JSON.stringify(input), client);
    expect(decisionOf(result.stdout)).toEqual({
      decision: 'allow',
      reason: expect.stringContaining('Approved'),
    });
    const requestId = lastRequestId;
    expect(requestId).toMatch(/^req_/);
    expect(await callStatus(requestId!)).toBe('running');

    const post = {
      ...input,
      hook_event_name: 'PostToolUse',
      tool_response: { stdout: 'Apply complete!', stderr: '', interrupted: false },
    };
    expect((await runHook([...args, '--post'], JSON.stringify(post), client)).code).toBe(0);
    expect(await callStatus(requestId!)).toBe('executed');
  }, 30_000);

  test("denied: deny with the approver's comment, nothing claimed", async () => {
    nextDecision = { outcome: 'deny', comment: 'not during the freeze' };
    const args = ['--config', configFile(standardConfig({ server: url }))];
    const client = connectAgentApi({ COUNTERSIGN_TOKEN: agentToken })(url, null);
    const result = await runHook(args, JSON.stringify(bashInput('terraform apply', 'toolu_e2e_2')), client);
    const { decision, reason } = decisionOf(result.stdout);
    expect(decision).toBe('deny');
    expect(reason).toContain('not during the freeze');
    expect(reason).toContain('(approval_denied)');
  }, 30_000);
});

// The agent API's paths in the OpenAPI document (docs/agent-api.md says the same in words).

const problem = { $ref: '#/components/responses/Problem' };
const callId = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^(req|call)_[A-Za-z0-9_-]{1,100}$' },
};
const workload = [{ bearer: [] }];
const callView = {
  description:
    'AgentCall: { callId, status: allowed|pending|approved|denied|running|executed|failed, requestId, expiresAt, approvals, code, message, approvalUrl, grant }',
};
const json = (schema: Record<string, unknown>) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export function agentPaths(): Record<string, unknown> {
  return {
    '/v1/calls': {
      post: {
        summary: 'Open (or re-attach to) a call as the authenticated workload, exactly as cs.open() does',
        security: workload,
        requestBody: json({
          type: 'object',
          additionalProperties: false,
          required: ['action', 'reason', 'sessionId'],
          properties: {
            action: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: {
                name: { type: 'string' },
                resource: { type: ['string', 'null'] },
                params: { type: 'object' },
                risk: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] },
              },
            },
            reason: { type: 'string' },
            sessionId: { type: 'string' },
            idempotencyKey: { type: ['string', 'null'] },
            onBehalfOf: { type: ['string', 'null'] },
          },
        }),
        responses: {
          '200': callView,
          '400': problem,
          '401': problem,
          '403': problem,
          '409': problem,
          '413': problem,
          '415': problem,
          '429': problem,
          '503': problem,
        },
      },
    },
    '/v1/calls/{id}': {
      get: {
        summary: "The call's state; with wait, held until its status differs from status (at most 60 s)",
        security: workload,
        parameters: [
          callId,
          { name: 'wait', in: 'query', schema: { type: 'string', pattern: '^\\d{1,4}(s|m)?$' } },
          { name: 'status', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': callView, '400': problem, '401': problem, '404': problem, '503': problem },
      },
    },
    '/v1/calls/{id}/claim': {
      post: {
        summary:
          'Issue the single-use grant of an allowed or approved call (token and credentials shown once)',
        security: workload,
        parameters: [callId],
        requestBody: json({ type: 'object', additionalProperties: false }),
        responses: { '200': callView, '401': problem, '404': problem, '409': problem, '503': problem },
      },
    },
    '/v1/calls/{id}/outcome': {
      post: {
        summary: 'Record executed or failed; revokes the grant and its credentials',
        security: workload,
        parameters: [callId],
        requestBody: json({
          type: 'object',
          additionalProperties: false,
          required: ['status'],
          properties: {
            status: { type: 'string', enum: ['executed', 'failed'] },
            detail: { type: 'string', maxLength: 4000 },
          },
        }),
        responses: {
          '200': callView,
          '400': problem,
          '401': problem,
          '404': problem,
          '409': problem,
          '503': problem,
        },
      },
    },
  };
}

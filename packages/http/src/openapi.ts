// The OpenAPI 3.1 description of the decision API, served at a fixed path.
import { agentPaths } from './agent-api/agent-openapi.js';

export const OPENAPI_PATH = '/openapi.json';

const problem = { $ref: '#/components/responses/Problem' };
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' },
};
const secured = [{ bearer: [] }, { relaySignature: [] }];

/**
 * Built on each call so callers can never mutate a shared copy. With `agents`, the agent API's
 * routes (`/v1/calls`) too, as a server configured with them serves.
 */
export function openApiDocument(options: { agents?: boolean | undefined } = {}): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'countersign decision API',
      version: '1',
      description:
        'Decide pending approval requests. The approver is whoever authenticates (OIDC bearer token or a signed relay request), never a body field.',
    },
    paths: {
      '/healthz': {
        get: {
          summary: 'Liveness and store reachability',
          security: [],
          responses: { '200': { description: 'ok' }, '503': { description: 'the store is unreachable' } },
        },
      },
      [OPENAPI_PATH]: {
        get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
      '/requests': {
        get: {
          summary: 'Pending requests the caller may decide, soonest deadline first',
          security: secured,
          parameters: [
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
            },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
            { name: 'action', in: 'query', schema: { type: 'string' } },
            { name: 'resource', in: 'query', schema: { type: 'string' } },
            { name: 'actor', in: 'query', schema: { type: 'string' } },
            {
              name: 'risk',
              in: 'query',
              schema: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] },
            },
          ],
          responses: {
            '200': { description: '{ items: RequestView[], nextCursor: string | null }' },
            '400': problem,
            '401': problem,
            '503': problem,
          },
        },
      },
      '/requests/{id}': {
        get: {
          summary:
            "A request as every channel presents it (core's presentRequest), for its approvers and auditors",
          security: secured,
          parameters: [idParam],
          responses: {
            '200': { description: 'RequestView' },
            '401': problem,
            '403': problem,
            '404': problem,
            '503': problem,
          },
        },
      },
      '/requests/{id}/decisions': {
        post: {
          summary: 'Approve or deny as the authenticated caller',
          security: secured,
          parameters: [idParam],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['outcome'],
                  properties: {
                    outcome: { type: 'string', enum: ['approve', 'deny'] },
                    comment: { type: 'string', maxLength: 2000 },
                    requestId: {
                      type: 'string',
                      description:
                        'The request decided; must equal the id in the path. Required from signed relays, whose signature covers only the body.',
                    },
                  },
                },
              },
            },
          },
          responses: {
            '200': { description: 'RequestView after the decision, with approvals counted' },
            '400': problem,
            '401': problem,
            '403': problem,
            '404': problem,
            '409': problem,
            '413': problem,
            '415': problem,
            '503': problem,
          },
        },
      },
      '/requests/{id}/audit': {
        get: {
          summary: "The request's audit entries, oldest first",
          security: secured,
          parameters: [idParam],
          responses: {
            '200': { description: '{ entries: AuditEntry[] }' },
            '401': problem,
            '403': problem,
            '404': problem,
            '503': problem,
          },
        },
      },
      '/audit': {
        get: {
          summary: 'The whole audit log as JSON lines (verifyAuditLog checks it offline); auditors only',
          security: secured,
          responses: {
            '200': { description: 'application/x-ndjson' },
            '401': problem,
            '403': problem,
            '503': problem,
          },
        },
      },
      ...(options.agents === true ? agentPaths() : {}),
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        relaySignature: {
          type: 'apiKey',
          in: 'header',
          name: 'webhook-signature',
          description:
            'Standard Webhooks v1 (HMAC-SHA256) or v1a (Ed25519) over the raw body, with webhook-id and webhook-timestamp',
        },
      },
      responses: {
        Problem: {
          description:
            "RFC 9457 problem document with a stable code; a 400 names the field at fault, a 503 says what is unavailable (the store, or the issuer's signing keys: keys_unavailable)",
          content: { 'application/problem+json': { schema: { type: 'object' } } },
        },
      },
    },
  };
}

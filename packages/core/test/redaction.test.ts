import { describe, expect, test } from 'vitest';
import { createRedactor, scrubText } from '../src/index.js';
import { CONTEXT, setup } from './helpers.js';

const SECRETS = {
  slack: 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx',
  aws: 'AKIAIOSFODNN7EXAMPLE',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ',
  pem: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----',
  bearer: 'Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0',
  github: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
};

describe('redaction', () => {
  test.each(Object.entries(SECRETS))('scrubs a %s secret wherever it sits in a string', (_kind, secret) => {
    const text = scrubText(`please use ${secret} for this`);
    expect(text).not.toContain(secret.slice(-12));
    expect(text).toMatch(/^please use \[REDACTED:[a-z-]+\] for this$/);
  });

  test('redacts configured paths, secret-named keys, and leaves the rest', () => {
    const redact = createRedactor(['customer.ssn', 'rows.*.card']);
    const result = redact({
      table: 'customers',
      max_tokens: 500,
      apiKey: 'plain-looking-value',
      db: { password: 'hunter2', host: 'db.internal' },
      customer: { ssn: '078-05-1120', name: 'Ada' },
      rows: [{ card: '4111111111111111', id: 1 }],
      url: 'postgres://admin:s3cret@db.internal/prod',
    });
    expect(result.params).toEqual({
      table: 'customers',
      max_tokens: 500,
      apiKey: '[REDACTED]',
      db: { password: '[REDACTED]', host: 'db.internal' },
      customer: { ssn: '[REDACTED]', name: 'Ada' },
      rows: [{ card: '[REDACTED]', id: 1 }],
      url: 'postgres://[REDACTED:url-credentials]@db.internal/prod',
    });
    expect(result.redactedPaths.sort()).toEqual(
      ['apiKey', 'customer.ssn', 'db.password', 'rows[0].card', 'url'].sort(),
    );
  });

  test('secrets never reach a transport, an event or the audit log, but the fingerprint binds the real params', async () => {
    const { cs, transport, clock } = setup({ redact: ['notes'] });
    const events: unknown[] = [];
    for (const name of [
      'requested',
      'decided',
      'approved',
      'granted',
      'executed',
      'revoked',
      'delivered',
    ] as const) {
      cs.on(name, (event) => events.push(event));
    }
    const params = {
      token: 'short-token-value-1234',
      header: SECRETS.bearer,
      nested: { keys: [SECRETS.aws, SECRETS.pem] },
      notes: 'notes-7731-do-not-show',
    };
    const run = cs
      .guard(
        {
          name: 'infra.deploy',
          resource: `s3://bucket?sig=${SECRETS.jwt}`,
          params,
          run: async (grant) => {
            await cs.grants.consume(grant.token, {
              name: 'infra.deploy',
              resource: `s3://bucket?sig=${SECRETS.jwt}`,
              params,
              sessionId: 'sess_42',
            });
            throw new Error(`upstream rejected ${SECRETS.slack}`);
          },
        },
        { ...CONTEXT, reason: `deploy with ${SECRETS.github}` },
      )
      .catch((e: unknown) => e);
    const request = await transport.nextDelivery();
    await clock.flush();
    await cs.decide(request.id, {
      approver: 'user:bob',
      outcome: 'approve',
      comment: `ok, rotate ${SECRETS.aws} after`,
    });
    expect(String(await run)).toContain(SECRETS.slack);
    const everything = JSON.stringify([
      transport.delivered,
      transport.updates,
      events,
      await cs.audit.export(),
    ]);
    for (const secret of [...Object.values(SECRETS), 'short-token-value-1234', 'notes-7731-do-not-show']) {
      expect(everything).not.toContain(secret.slice(-16));
    }
    expect([...request.action.redactedPaths].sort()).toEqual([
      'header',
      'nested.keys[0]',
      'nested.keys[1]',
      'notes',
      'token',
    ]);
  });
});

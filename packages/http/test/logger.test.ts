import { expect, test } from 'vitest';
import { createJsonLogger } from '../src/index.js';

test('log lines carry no secret: secret-named fields, and secret shapes inside messages, errors and string fields', () => {
  const lines: string[] = [];
  const logger = createJsonLogger((line) => lines.push(line));
  logger.warn('store background error', {
    error: new Error('connect ECONNREFUSED for postgres://admin:s3cr3t-Pa55word@db.internal:5432/app'),
    detail: 'the job ran export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    apiToken: 'tok_live_0123456789',
    count: 3,
  });
  logger.error('could not start: curl -u deploy:Hunter2Hunter2 https://example.test failed');
  const text = lines.join('');
  for (const secret of ['s3cr3t-Pa55word', 'wJalrXUtnFEMI', 'tok_live_0123456789', 'Hunter2Hunter2']) {
    expect(text).not.toContain(secret);
  }
  const first = JSON.parse(lines[0]!) as Record<string, unknown>;
  expect(first).toMatchObject({
    level: 'warn',
    msg: 'store background error',
    apiToken: '[REDACTED]',
    count: 3,
  });
  expect(String(first.error)).toContain('ECONNREFUSED');
});

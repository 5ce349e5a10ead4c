// docs/audit-format.md states the format's tables; these hold them to the code that enforces them.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { AUDIT_TYPES, VerifyFailure } from '../src/index.js';
import { auditEntryShape } from '../src/model/audit.js';
import { AUDIT_TYPE_RULES } from '../src/model/audit-rules.js';

const doc = readFileSync(new URL('../../../docs/audit-format.md', import.meta.url), 'utf8');

/** The rows of the first table after `heading`, as cells without their backquotes. */
function table(heading: string): string[][] {
  const section = doc.slice(doc.indexOf(heading));
  const lines = section.split('\n');
  const start = lines.findIndex((line) => line.startsWith('| '));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replaceAll('`', '')),
    );
  }
  return rows;
}

describe('docs/audit-format.md', () => {
  test('section 4 lists the members of an entry, in the order a line has them', () => {
    const members = table('## 4. Entries').map(([name]) => name);
    expect(members).toEqual(Object.keys(auditEntryShape.members).sort());
  });

  test('section 6 states, for every type, what the verifier enforces', () => {
    const rows = table('## 6. Members by type');
    expect(rows.map(([type]) => type)).toEqual([...AUDIT_TYPES]);
    for (const [type, outcome, consumedAt, grantId] of rows) {
      const rule = AUDIT_TYPE_RULES[type as keyof typeof AUDIT_TYPE_RULES];
      expect({ type, outcome, consumedAt, grantId }).toEqual({
        type,
        outcome: rule.vote === null ? 'null' : `"${rule.vote}"`,
        consumedAt: rule.consumedAt === 'at' ? '= at' : rule.consumedAt,
        grantId: rule.grant ? 'required' : 'any',
      });
    }
  });

  test('section 8 lists every failure code', () => {
    expect(table('## 8. Verdicts').map(([code]) => code)).toEqual(Object.values(VerifyFailure));
  });
});

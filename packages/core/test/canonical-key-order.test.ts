import { describe, expect, test } from 'vitest';
import { canonicalJson } from '../src/index.js';

/** Keys whose UTF-16 code unit order differs from code point and locale order. */
const AWKWARD = ['b', 'a', 'B', 'aa', '', 'é', 'e\u0301', '\u{1F600}', '\uFFFF', '_', '10', '9', 'Z', 'a b'];

function expected(record: Record<string, unknown>): string {
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(record[key])}`).join(',')}}`;
}

describe('canonicalJson key order', () => {
  test.each([1, 2, 3, 5, 14, 16, 17, 40])(
    '%i keys sort by UTF-16 code units, as Array.prototype.sort does',
    (n) => {
      const keys = Array.from(
        { length: n },
        (_, i) => AWKWARD[i % AWKWARD.length]! + (i >= AWKWARD.length ? i : ''),
      );
      for (const order of [keys, [...keys].reverse(), [...keys].sort(), [...keys].sort().reverse()]) {
        const record: Record<string, number> = {};
        for (const [i, key] of order.entries()) record[key] = i;
        expect(canonicalJson(record)).toBe(expected(record));
      }
    },
  );

  test('the caller’s object keeps its own key order', () => {
    const record = { b: 1, a: 2 };
    expect(canonicalJson(record)).toBe('{"a":2,"b":1}');
    expect(Object.keys(record)).toEqual(['b', 'a']);
  });
});

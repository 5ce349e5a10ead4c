import { describe, expect, test } from 'vitest';
import { readJsonParams } from '../src/lib/params-walk.js';

describe('params keys read again', () => {
  test('a key seen before gives the same JSON and the same flag, whatever came between', () => {
    for (let round = 0; round < 3; round++) {
      expect(readJsonParams({ table: 'customers', limit: 10 }, 'p')).toMatchObject({
        json: '{"limit":10,"table":"customers"}',
        flagged: false,
      });
      // A secret-named key is never remembered as plain: flagged every time.
      expect(readJsonParams({ table: 'customers', password: 'x' }, 'p').flagged).toBe(true);
      expect(readJsonParams({ 'na\u00efve "key"': 1 }, 'p').json).toBe('{"na\u00efve \\"key\\"":1}');
    }
  });

  test('past the bound, keys are read afresh: the results do not change', () => {
    const many = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`k${i}`, i]));
    const first = readJsonParams(many, 'p');
    const second = readJsonParams(many, 'p');
    expect(second).toEqual(first);
    expect(first.flagged).toBe(false);
    expect(readJsonParams({ apiKey: 'abc' }, 'p').flagged).toBe(true);
  });
});

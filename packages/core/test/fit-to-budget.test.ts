import { describe, expect, test } from 'vitest';
import {
  canonicalJson,
  describeCut,
  fitParams,
  fitText,
  indentedJson,
  type JsonObject,
  type Measure,
  paramsText,
  presentRequest,
  visibleLength,
} from '../src/index.js';
import { sampleRequest } from '../src/testing/index.js';

const measured = (text: string, measure: Measure) => Array.from(text).reduce((n, c) => n + measure(c), 0);
/** Slack-like escaping: entities for `&<>`, markers for hidden characters. */
const escaped: Measure = (c) => (c === '&' ? 5 : c === '<' || c === '>' ? 4 : visibleLength(c, true));

describe('the cut rule: what approvers see within a budget, and what was cut', () => {
  test('a param after a 3,000-character param is still shown, and the long one is named as shortened', () => {
    const params = { body: 'x'.repeat(3_000), zzz: 'after the long one' };
    const fitted = fitParams(params, 2_600);
    expect(fitted.text).toContain('"zzz": "after the long one"');
    expect(fitted.text.length).toBeLessThanOrEqual(2_600);
    expect(fitted.shortened).toEqual([{ name: 'body', shown: expect.any(Number), total: 3_002 }]);
    expect(fitted.shortened[0]!.shown).toBeGreaterThan(2_000);
    expect(fitted.omitted).toEqual([]);
    expect(
      presentRequest(sampleRequest({ action: { ...sampleRequest().action, params } })).what,
    ).toMatchObject({
      paramsTruncated: true,
      paramsCut: { shortened: [{ name: 'body' }], omitted: [] },
      paramNames: ['body', 'zzz'],
    });
  });

  test('params that cannot all be shown are named, in canonical order, and the text stays within budget', () => {
    const params = Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [`p${String(i).padStart(3, '0')}`, 'v'.repeat(40)]),
    );
    const fitted = fitParams(params, 2_600);
    expect(fitted.text.length).toBeLessThanOrEqual(2_600);
    const shown = Object.keys(params).filter((name) => fitted.text.includes(`"${name}"`));
    expect([...shown, ...fitted.omitted].sort()).toEqual(Object.keys(params));
    expect(fitted.omitted[0]).toBe(`p${String(shown.length).padStart(3, '0')}`);
  });

  test('every budget and shape: within budget as measured, and every param shown or named', () => {
    const shapes: JsonObject[] = [
      { a: 'x'.repeat(5_000), b: 1, c: { d: ['<'.repeat(2_000), null] }, e: '\u202E'.repeat(700) },
      { only: '&'.repeat(10_000) },
      { '': '', [`k${'\u{E0041}'.repeat(300)}`]: 'v', z: [1, 2, 3] },
      Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`n${i}`, '😀'.repeat(i * 20)])),
      {},
    ];
    for (const params of shapes) {
      for (const budget of [0, 50, 200, 600, 2_600, 10_000]) {
        const fitted = fitParams(params, budget, escaped);
        const cut = new Set([...fitted.shortened.map((s) => s.name), ...fitted.omitted]);
        if (cut.size === 0) expect(fitted.text).toBe(indentedJson(params));
        // Below the frame and one param's start, the first param's start is still shown.
        if (budget >= 50) expect(measured(fitted.text, escaped)).toBeLessThanOrEqual(budget);
        for (const name of Object.keys(params)) {
          const whole = `${JSON.stringify(name)}: ${indentedJson(params[name]!, '  ')}`;
          expect(cut.has(name) || fitted.text.includes(whole), name.slice(0, 20)).toBe(true);
        }
        expect(fitted.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
      }
    }
  });

  test('whole params read as the canonical JSON the hash covers, at every depth', () => {
    const params = { '10': 1, '2': { b: 1, a: [{ z: 1, y: 2 }] }, é: 'ü', A: null };
    expect(JSON.parse(fitParams(params, Number.POSITIVE_INFINITY).text)).toEqual(params);
    expect(indentedJson(params).replace(/\s+/g, '').replace(/":/g, '":')).toBe(
      canonicalJson(params).replace(/\s+/g, ''),
    );
    expect(paramsText(params)).toEqual({ text: indentedJson(params), truncated: false });
    const plain = { table: 'customers', rows: [1, 2], nested: { x: 'y' } };
    expect(indentedJson(plain)).toBe(JSON.stringify(JSON.parse(canonicalJson(plain)), null, 2));
  });

  test('fitText cuts between code points, as measured', () => {
    expect(fitText('😀😀😀', 5)).toEqual({ text: '😀😀', omitted: 1 });
    expect(fitText('a\u202Eb', 5, (c) => visibleLength(c))).toEqual({ text: 'a', omitted: 2 });
    expect(fitText('abc', 3)).toEqual({ text: 'abc', omitted: 0 });
  });

  test('describeCut names what was cut and where to see it, or says nothing when nothing was', () => {
    const name = (n: string) => `\`${n}\``;
    expect(describeCut({ params: { shortened: [], omitted: [] } }, { name })).toBeNull();
    const omitted = Array.from({ length: 12 }, (_, i) => `o${i}`);
    const statement = describeCut(
      {
        params: { shortened: [{ name: 'sql', shown: 1_200, total: 3_042 }], omitted },
        fields: [{ name: 'reason', shown: 1_500, total: 2_000 }],
        moreAt: 'https://approvals.example/inbox/requests/req_1',
      },
      { name, link: (url) => `<${url}>` },
    );
    expect(statement).toBe(
      "Truncated to fit: param `sql` (1,200 of 3,042 characters shown); params `o0`, `o1`, `o2`, `o3`, `o4`, `o5`, `o6`, `o7` and 4 more not shown; the reason (1,500 of 2,000 characters shown). The params hash covers every param. Everything is on the request's page in the countersign inbox: <https://approvals.example/inbox/requests/req_1>",
    );
    expect(describeCut({ params: { shortened: [], omitted: ['x'] } }, { name })).toBe(
      "Truncated to fit: param `x` not shown. The params hash covers every param. Everything is on the request's page in the countersign inbox.",
    );
  });
});

import { describe, expect, test } from 'vitest';
import { createRedactor, scrubText } from '../src/index.js';
import { SECRET_SHAPES } from '../src/lib/redact.js';

const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const NPM_TOKEN = 'npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';

describe('free-text secret shapes', () => {
  test.each([
    [`export AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`, 'export AWS_SECRET_ACCESS_KEY=[REDACTED:assigned-secret]'],
    [`AWS_SESSION_TOKEN="${AWS_SECRET}" aws s3 ls`, 'AWS_SESSION_TOKEN=[REDACTED:assigned-secret] aws s3 ls'],
    ['DB_PASSWORD=hunter2 ./migrate', 'DB_PASSWORD=[REDACTED:assigned-secret] ./migrate'],
    ['export DJANGO_SECRET_KEY=abc123def', 'export DJANGO_SECRET_KEY=[REDACTED:assigned-secret]'],
    ['$env:GITHUB_TOKEN = "abc123"', '$env:GITHUB_TOKEN = [REDACTED:assigned-secret]'],
    ['pwd=hunter2!', 'pwd=[REDACTED:assigned-secret]'],
    ['url=https://h.example/?token=abc123', 'url=https://h.example/?token=[REDACTED:assigned-secret]'],
    [
      `aws configure set aws_secret_access_key ${AWS_SECRET}`,
      'aws configure set aws_secret_access_key [REDACTED:aws-cli-secret]',
    ],
    [
      `aws configure set --profile prod default.aws_session_token '${AWS_SECRET}' && aws s3 ls`,
      'aws configure set --profile prod default.aws_session_token [REDACTED:aws-cli-secret] && aws s3 ls',
    ],
    ['mysql -u root -pS3cr3t! shop', 'mysql -u root -p[REDACTED:mysql-password] shop'],
    [
      "mysqldump -h db -p'my pass' shop > out.sql",
      'mysqldump -h db -p[REDACTED:mysql-password] shop > out.sql',
    ],
    ['mariadb -uroot -phunter2', 'mariadb -uroot -p[REDACTED:mysql-password]'],
    [
      'curl -u alice:s3cret https://api.example.com',
      'curl -u alice:[REDACTED:curl-credentials] https://api.example.com',
    ],
    [
      'curl -sSu alice:s3cret https://x.example',
      'curl -sSu alice:[REDACTED:curl-credentials] https://x.example',
    ],
    [
      "curl --user 'alice:pass word' https://x.example",
      "curl --user 'alice:[REDACTED:curl-credentials]' https://x.example",
    ],
    [
      'curl --proxy-user bob:pw1 http://x.example',
      'curl --proxy-user bob:[REDACTED:curl-credentials] http://x.example',
    ],
    [`npm publish --token ${NPM_TOKEN}`, 'npm publish --token [REDACTED:npm-token]'],
    [
      `//registry.npmjs.org/:_authToken=${NPM_TOKEN}`,
      '//registry.npmjs.org/:_authToken=[REDACTED:npm-token]',
    ],
    ['Authorization: Bearer 9f8e7d6c5b4a39281706', 'Authorization: [REDACTED:bearer]'],
  ])('%s is scrubbed', (text, scrubbed) => {
    expect(scrubText(text)).toBe(scrubbed);
  });

  test.each([
    'mysql -u root -p shop',
    'mysql -p',
    'mysql -P 3306 -h db -p',
    'mkdir -p /tmp/reports',
    'ssh -p2222 deploy@host',
    'docker run -p8080:80 nginx',
    'curl -u alice https://api.example.com:8443/x',
    'curl -u alice: https://x.example',
    'curl -s https://api.example.com:443/health',
    'docker run -u 1000:1000 alpine',
    'npm_config_registry=https://registry.npmjs.org/',
    'echo $npm_package_version',
    'aws configure set region eu-west-1',
    'export AWS_REGION=eu-west-1',
    'export PATH=/usr/local/bin:/usr/bin',
    'max_tokens: 500',
    'deadline 10:30, table=customers',
    // Under 12 characters, nothing is searched: the price of a cheap hot path.
    'pwd=hunter2',
  ])('%s stays', (text) => {
    expect(scrubText(text)).toBe(text);
  });

  test('params keyed like an environment variable are redacted by their key, as free text is', () => {
    const { params } = createRedactor()({ djangoSecretKey: 'x', awsSecretAccessKey: 'y', region: 'eu' });
    expect(params).toEqual({ djangoSecretKey: '[REDACTED]', awsSecretAccessKey: '[REDACTED]', region: 'eu' });
  });
});

/**
 * Quantifiers applied to a group that itself holds one (`(a+)+`, `(?:\w+\s?)*`): the shape that
 * can backtrack exponentially. A group repeated at most once (`?`, `{0,1}`) does not count.
 */
function nestedQuantifiers(source: string): string[] {
  const found: string[] = [];
  const holds: boolean[] = [false];
  const opened: number[] = [];
  let i = 0;
  const quantifier = (at: number): { repeats: boolean; length: number } | null => {
    const c = source[at];
    const lazy = (n: number) => (source[at + n] === '?' ? n + 1 : n);
    if (c === '*' || c === '+') return { repeats: true, length: lazy(1) };
    if (c === '?') return { repeats: false, length: lazy(1) };
    const braces = c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at)) : null;
    if (braces === null) return null;
    const max = braces[2] === undefined ? Number(braces[1]) : braces[3] === '' ? Infinity : Number(braces[3]);
    return { repeats: max > 1, length: lazy(braces[0].length) };
  };
  while (i < source.length) {
    const c = source[i]!;
    let end = i + 1;
    let group: { start: number; held: boolean } | null = null;
    if (c === '\\') end = i + 2;
    else if (c === '[') {
      end = i + 1;
      while (source[end] !== ']') end += source[end] === '\\' ? 2 : 1;
      end += 1;
    } else if (c === '(') {
      opened.push(i);
      holds.push(false);
      i = end;
      continue;
    } else if (c === ')') {
      group = { start: opened.pop()!, held: holds.pop()! };
    }
    const q = quantifier(end);
    if (q?.repeats && group?.held) found.push(source.slice(group.start, end + q.length));
    if (q !== null || group?.held) holds[holds.length - 1] = true;
    i = q === null ? end : end + q.length;
  }
  return found;
}

/**
 * A pattern opening with a lookbehind that repeats (`(?<=key\s*)…`) is tried at every position, each
 * reading back over the text before it: quadratic on a long run. Returns that lookbehind, if any.
 */
function searchingLookbehind(source: string): string | null {
  if (!source.startsWith('(?<=') && !source.startsWith('(?<!')) return null;
  let depth = 0;
  let i = 0;
  for (; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === '[') while (source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
    else if (source[i] === '(') depth++;
    else if (source[i] === ')' && --depth === 0) break;
  }
  const lookbehind = source.slice(0, i + 1);
  const classless = lookbehind.replace(/\\./g, '').replace(/\[[^\]]*\]/g, 'c');
  return /[*+]|\{\d+,\}/.test(classless) ? lookbehind : null;
}

describe('every secret shape is linear-time', () => {
  test('the checker finds nested quantifiers', () => {
    expect(nestedQuantifiers(/(a+)+b/.source)).toEqual(['(a+)+']);
    expect(nestedQuantifiers(/(?:x(?:\w+\s?){2,})/.source)).toEqual(['(?:\\w+\\s?){2,}']);
    expect(nestedQuantifiers(/(?:--p[\w.-]+\s+)?[a-z]{0,3}/.source)).toEqual([]);
  });

  test('the checker finds a repeating lookbehind that opens a pattern', () => {
    expect(searchingLookbehind(/(?<=\b(?:token)["']?\s*[=:]\s*)[^\s]+/.source)).toBe(
      '(?<=\\b(?:token)["\']?\\s*[=:]\\s*)',
    );
    expect(searchingLookbehind(/(?<=\/\/)[^/\s:@]+:/.source)).toBeNull();
    expect(searchingLookbehind(/[=:](?<=\w+[=:])/.source)).toBeNull();
  });

  test('no shape repeats a group that holds a quantifier, or opens with a repeating lookbehind', () => {
    for (const { kind, pattern, value } of SECRET_SHAPES) {
      expect([kind, nestedQuantifiers(pattern.source)]).toEqual([kind, []]);
      expect([kind, searchingLookbehind(pattern.source)]).toEqual([kind, null]);
      if (value !== undefined) expect([kind, nestedQuantifiers(value.source)]).toEqual([kind, []]);
    }
  });

  // Each aimed at one shape's repetitions: a long run it may scan from many starts, with no end it accepts.
  const hostile = [
    'a'.repeat(50_000),
    'a.'.repeat(25_000),
    `a${' '.repeat(49_999)}`,
    'x='.repeat(25_000),
    'a:'.repeat(25_000),
    'password="'.repeat(5_000),
    `password=${'-'.repeat(49_991)}`,
    `curl${' -u'.repeat(16_665)}`,
    'curl -u a'.repeat(5_555),
    `curl -u '${'a'.repeat(49_990)}`,
    'mysql '.repeat(8_333),
    `mysql${' -p '.repeat(16_665)}`,
    `mysql${'-'.repeat(49_995)}`,
    'aws configure set '.repeat(2_778),
    `aws configure set ${'a'.repeat(49_982)}`,
    'npm_'.repeat(12_500),
    `npm_${'a'.repeat(49_996)}`,
    `//${'a:'.repeat(24_999)}@`,
    'Basic '.repeat(8_333),
    `eyJ${'a'.repeat(49_997)}`,
    `-----BEGIN ${'A'.repeat(49_989)}`,
    `-----BEGIN PRIVATE KEY-----${'-----END A'.repeat(4_997)}`,
  ];

  test.each(hostile.map((text) => [text.slice(0, 24), text]))(
    'a 50,000-character hostile string (%s…) is scrubbed in one pass',
    (_start, text) => {
      expect(text.length).toBeGreaterThanOrEqual(49_990);
      expect(typeof scrubText(text)).toBe('string');
    },
  );
});

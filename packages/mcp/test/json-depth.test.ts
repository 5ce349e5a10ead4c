import { expect, test } from 'vitest';
import { nestsDeeperThan } from '../src/json-depth.js';

const bytes = (text: string) => Buffer.from(text);

test('counts arrays and objects inside one another, not side by side', () => {
  expect(nestsDeeperThan(bytes('[[1],[2],{"a":3},[4]]'), 2)).toBe(false);
  expect(nestsDeeperThan(bytes('[[1],[2],{"a":[3]}]'), 3)).toBe(false);
  expect(nestsDeeperThan(bytes('[[1],[2],{"a":[3]}]'), 2)).toBe(true);
});

test('brackets inside strings, escaped quotes and multi-byte characters do not count', () => {
  expect(nestsDeeperThan(bytes('{"a":"[[[[{{{{"}'), 1)).toBe(false);
  expect(nestsDeeperThan(bytes('{"a":"\\"[[[[","b":"\\\\"}'), 1)).toBe(false);
  expect(nestsDeeperThan(bytes('{"a":"\\\\","b":[[1]]}'), 2)).toBe(true);
  expect(nestsDeeperThan(bytes('{"é[":"ü{"}'), 1)).toBe(false);
});

test('stops at the first level too deep, whatever follows', () => {
  expect(nestsDeeperThan(bytes(`${'['.repeat(101)}not json at all`), 100)).toBe(true);
  expect(nestsDeeperThan(bytes('['.repeat(100)), 100)).toBe(false);
});

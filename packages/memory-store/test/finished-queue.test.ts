import { describe, expect, test } from 'vitest';
import { FinishedQueue } from '../src/finished-queue.js';

describe('FinishedQueue', () => {
  test('forgets exactly the oldest ids beyond the limit, in order, across compactions', () => {
    const queue = new FinishedQueue();
    const forgotten: string[] = [];
    for (let i = 0; i < 5_000; i++) queue.add(`id${i}`, 100, (oldest) => forgotten.push(oldest));
    expect(queue.size).toBe(100);
    expect(forgotten).toEqual(Array.from({ length: 4_900 }, (_, i) => `id${i}`));
  });

  test('a lower limit later forgets several at once, oldest first', () => {
    const queue = new FinishedQueue();
    const forgotten: string[] = [];
    for (const id of ['a', 'b', 'c', 'd']) queue.add(id, 10, (oldest) => forgotten.push(oldest));
    queue.add('e', 2, (oldest) => forgotten.push(oldest));
    expect(forgotten).toEqual(['a', 'b', 'c']);
    expect(queue.size).toBe(2);
  });
});

// Waiters: a store's notice during this runtime's own write waits for that write.
import { describe, expect, test } from 'vitest';
import { Waiters } from '../src/runtime/waiters.js';

function waiter() {
  const wakes: boolean[] = [];
  return { wakes, wake: (notified = false) => void wakes.push(notified) };
}

describe('notices during an own write', () => {
  test('a notice for a request being written is held; the write that saves answers it with one wake', () => {
    const waiters = new Waiters();
    const w = waiter();
    waiters.add('req_1', w);
    waiters.hold('req_1');
    waiters.notice('req_1');
    expect(w.wakes).toEqual([]);
    waiters.wake('req_1'); // the write announced its events and woke
    waiters.release('req_1');
    expect(w.wakes).toEqual([true]);
  });

  test('a write that fails or loses its race delivers the notice it held when it ends', () => {
    const waiters = new Waiters();
    const w = waiter();
    waiters.add('req_1', w);
    waiters.hold('req_1');
    waiters.hold('req_1');
    waiters.notice('req_1');
    waiters.release('req_1');
    expect(w.wakes).toEqual([]); // a second write to it is still under way
    waiters.release('req_1');
    expect(w.wakes).toEqual([true]);
    waiters.release('req_1'); // nothing held any more: no wake
    expect(w.wakes).toEqual([true]);
  });

  test('a notice for another request, or with no write under way, wakes at once', () => {
    const waiters = new Waiters();
    const a = waiter();
    const b = waiter();
    waiters.add('req_a', a);
    waiters.add('req_b', b);
    waiters.hold('req_a');
    waiters.notice('req_b');
    expect(b.wakes).toEqual([true]);
    expect(a.wakes).toEqual([]);
    waiters.release('req_a');
    waiters.notice('req_a');
    expect(a.wakes).toEqual([true]);
  });
});

describe('waiters of one request', () => {
  test('with one of two waiters removed, the other is still woken, and removing it leaves none', () => {
    const waiters = new Waiters();
    const a = waiter();
    const b = waiter();
    waiters.add('req_1', a);
    waiters.add('req_1', b);
    waiters.remove('req_1', a);
    waiters.wake('req_1');
    expect(a.wakes).toEqual([]);
    expect(b.wakes).toEqual([true]);
    waiters.add('req_1', a);
    waiters.wake('req_1');
    expect(a.wakes).toEqual([true]);
    expect(b.wakes).toEqual([true, true]);
    waiters.remove('req_1', b);
    waiters.remove('req_1', a);
    expect(waiters.size).toBe(0);
    waiters.wake('req_1');
    expect(a.wakes).toEqual([true]);
  });
});

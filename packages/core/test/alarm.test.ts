import { describe, expect, test } from 'vitest';
import { Alarm, type Sleeper } from '../src/runtime/alarm.js';
import { createTestClock } from '../src/testing/index.js';

function sleeper(name: string, woke: string[]): Sleeper {
  return { alarmAt: 0, alarmIndex: -1, wake: () => woke.push(name) };
}

describe('Alarm', () => {
  test('wakes each sleeper at its time, in order, with one clock timer', async () => {
    const clock = createTestClock();
    const alarm = new Alarm(clock);
    const woke: string[] = [];
    const order = [50, 10, 40, 20, 30, 10];
    for (const [i, ms] of order.entries()) alarm.set(sleeper(`${ms}ms#${i}`, woke), ms);
    expect(clock.pendingTimers()).toBe(1);
    await clock.advance(25);
    expect(woke).toEqual(['10ms#1', '10ms#5', '20ms#3']);
    await clock.advance(25);
    expect(woke).toEqual(['10ms#1', '10ms#5', '20ms#3', '30ms#4', '40ms#2', '50ms#0']);
    expect(alarm.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a cancelled sleeper never wakes, and the last cancel clears the timer', async () => {
    const clock = createTestClock();
    const alarm = new Alarm(clock);
    const woke: string[] = [];
    const sleepers = Array.from({ length: 8 }, (_, i) => sleeper(`s${i}`, woke));
    for (const [i, s] of sleepers.entries()) alarm.set(s, (i + 1) * 10);
    for (const i of [0, 3, 7, 5]) alarm.cancel(sleepers[i]!);
    alarm.cancel(sleepers[3]!);
    await clock.advance(100);
    expect(woke).toEqual(['s1', 's2', 's4', 's6']);
    alarm.set(sleepers[0]!, 10);
    alarm.cancel(sleepers[0]!);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('setting a sleeper again moves it, earlier or later', async () => {
    const clock = createTestClock();
    const alarm = new Alarm(clock);
    const woke: string[] = [];
    const [a, b] = [sleeper('a', woke), sleeper('b', woke)];
    alarm.set(a, 10);
    alarm.set(b, 20);
    alarm.set(a, 30);
    alarm.set(b, 5);
    await clock.advance(15);
    expect(woke).toEqual(['b']);
    await clock.advance(15);
    expect(woke).toEqual(['b', 'a']);
    expect(alarm.size).toBe(0);
  });

  test('keeps heap order through random sets and cancels', async () => {
    const clock = createTestClock();
    const alarm = new Alarm(clock);
    const woke: string[] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const sleepers = Array.from({ length: 200 }, (_, i) => sleeper(String(i), woke));
    const due = new Map<string, number>();
    for (let round = 0; round < 1_000; round++) {
      const s = sleepers[Math.floor(random() * sleepers.length)]!;
      const name = sleepers.indexOf(s).toString();
      if (random() < 0.3) {
        alarm.cancel(s);
        due.delete(name);
      } else {
        const ms = 1 + Math.floor(random() * 1_000);
        alarm.set(s, ms);
        due.set(name, ms);
      }
    }
    await clock.advance(1_000);
    const expected = [...due].sort((x, y) => x[1] - y[1]).map(([name]) => name);
    expect(woke).toHaveLength(expected.length);
    // Sleepers due at the same millisecond may wake in either order.
    expect(woke.map((name) => due.get(name))).toEqual(expected.map((name) => due.get(name)));
    expect(clock.pendingTimers()).toBe(0);
  });
});

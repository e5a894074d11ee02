import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { systemClock } from "../src/batching/clock.js";
import { createExpiryTimer } from "../src/batching/expiry-timer.js";

describe("expiry timer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("expires exactly the items not removed, each at its deadline, with one timer", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ deadline: fc.integer({ min: 1, max: 200 }), removed: fc.boolean() }), {
          maxLength: 60,
        }),
        (items) => {
          const start = performance.now();
          const expired: { index: number; at: number }[] = [];
          const timer = createExpiryTimer<number>(systemClock, (index) =>
            expired.push({ index, at: performance.now() - start }),
          );
          const entries = items.map((item, index) => timer.add(index, start + item.deadline));
          expect(vi.getTimerCount()).toBeLessThanOrEqual(1);
          items.forEach((item, index) => {
            const entry = entries[index];
            if (item.removed && entry !== undefined) timer.remove(entry);
          });
          vi.advanceTimersByTime(250);
          const expected = items
            .map((item, index) => ({ index, at: item.deadline, removed: item.removed }))
            .filter((item) => !item.removed)
            .sort((a, b) => a.at - b.at);
          expect(expired.map((item) => item.at)).toEqual(expected.map((item) => item.at));
          expect(expired.map((item) => item.index).sort((a, b) => a - b)).toEqual(
            expected.map((item) => item.index).sort((a, b) => a - b),
          );
          expect(timer.size).toBe(0);
          expect(vi.getTimerCount()).toBe(0);
        },
      ),
    );
  });

  it("re-arms earlier when an earlier deadline arrives", () => {
    const expired: string[] = [];
    const timer = createExpiryTimer<string>(systemClock, (item) => expired.push(item));
    const now = performance.now();
    timer.add("late", now + 100);
    timer.add("early", now + 10);
    vi.advanceTimersByTime(10);
    expect(expired).toEqual(["early"]);
    vi.advanceTimersByTime(90);
    expect(expired).toEqual(["early", "late"]);
  });
});

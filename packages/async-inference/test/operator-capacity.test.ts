import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { asyncInference } from "../src/operator/async-inference.js";
import {
  decodeNumber,
  encodeNumber,
  rowModel,
  settleWithTimers,
  useFakeTime,
} from "./operator-fixtures.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("asyncInference capacity", () => {
  it("never holds more than capacity: pulled ≤ emitted + capacity at every moment", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })), {
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        async (timings, capacity, ordered) => {
          useFakeTime();
          let pulled = 0;
          let emitted = 0;
          let violations = 0;
          let peak = 0;
          function* source() {
            for (let i = 0; i < timings.length; i++) {
              pulled++;
              if (pulled > emitted + capacity) violations++;
              peak = Math.max(peak, pulled - emitted);
              yield i;
            }
          }
          const { infer } = rowModel(
            (x) => x,
            ([x]) => timings[x ?? 0]?.[0] ?? 0,
          );
          const consume = async () => {
            for await (const value of asyncInference(source(), {
              infer,
              encode: encodeNumber,
              decode: decodeNumber,
              capacity,
              ordered,
            })) {
              emitted++;
              // A consumer slower than the model at random moments.
              const pause = timings[value]?.[1] ?? 0;
              if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
            }
          };
          await settleWithTimers(consume());
          expect(violations).toBe(0);
          expect(emitted).toBe(timings.length);
          expect(peak).toBeLessThanOrEqual(capacity);
          vi.useRealTimers();
        },
      ),
      { numRuns: 150 },
    );
  });

  it("stops pulling the source when full, and pulls one more per emitted result", async () => {
    useFakeTime();
    let pulled = 0;
    function* source() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield i;
      }
    }
    const { infer, calls } = rowModel(
      (x) => x,
      ([x]) => ((x ?? 0) === 0 ? 1000 : 1),
    );
    const iterator = asyncInference(source(), {
      infer,
      encode: encodeNumber,
      decode: decodeNumber,
      capacity: 5,
    })[Symbol.asyncIterator]();
    const first = iterator.next();
    await vi.advanceTimersByTimeAsync(500);
    // Record 0 blocks the ordered head; 1..4 are done but wait behind it: 5 inside, none more.
    expect(pulled).toBe(5);
    expect(calls).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(500);
    expect(await first).toEqual({ done: false, value: 0 });
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(pulled).toBe(7);
    await iterator.return?.();
  });
});

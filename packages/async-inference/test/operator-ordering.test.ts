import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { asyncInference } from "../src/operator/async-inference.js";
import {
  collect,
  decodeNumber,
  encodeNumber,
  rowModel,
  settleWithTimers,
  useFakeTime,
} from "./operator-fixtures.js";

afterEach(() => {
  vi.useRealTimers();
});

const latencies = fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 0, maxLength: 40 });

describe("asyncInference ordering", () => {
  it("ordered mode emits every result in input order, whatever the latencies", async () => {
    await fc.assert(
      fc.asyncProperty(latencies, fc.integer({ min: 1, max: 8 }), async (delays, capacity) => {
        useFakeTime();
        const records = delays.map((_, i) => i);
        const { infer } = rowModel(
          (x) => x * 10,
          ([x]) => delays[x ?? 0] ?? 0,
        );
        const out = await settleWithTimers(
          collect(
            asyncInference(records, {
              infer,
              encode: encodeNumber,
              decode: decodeNumber,
              capacity,
            }),
          ),
        );
        expect(out).toEqual(records.map((x) => x * 10));
        vi.useRealTimers();
      }),
      { numRuns: 100 },
    );
  });

  it("unordered mode emits every result exactly once, in completion order", async () => {
    await fc.assert(
      fc.asyncProperty(latencies, async (delays) => {
        useFakeTime();
        const records = delays.map((_, i) => i);
        const { infer } = rowModel(
          (x) => x,
          ([x]) => delays[x ?? 0] ?? 0,
        );
        const out = await settleWithTimers(
          collect(
            asyncInference(records, {
              infer,
              encode: encodeNumber,
              decode: decodeNumber,
              ordered: false,
              capacity: records.length + 1,
            }),
          ),
        );
        // With room for everything, completion order is latency order (ties in start order).
        const byCompletion = [...records].sort(
          (a, b) => (delays[a] ?? 0) - (delays[b] ?? 0) || a - b,
        );
        expect(out).toEqual(byCompletion);
        vi.useRealTimers();
      }),
      { numRuns: 100 },
    );
  });

  it("accepts a synchronous iterable and an async generator alike", async () => {
    const { infer } = rowModel((x) => x + 1);
    async function* generate() {
      yield 1;
      yield 2;
    }
    const options = { infer, encode: encodeNumber, decode: decodeNumber };
    expect(await collect(asyncInference([1, 2], options))).toEqual([2, 3]);
    expect(await collect(asyncInference(generate(), options))).toEqual([2, 3]);
  });
});

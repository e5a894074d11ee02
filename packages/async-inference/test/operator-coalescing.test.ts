import { ErrorCode, SidecarError, type Tensor } from "@gpu-sidecar/sidecar-core";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { asyncInference } from "../src/operator/async-inference.js";
import type { InferFunction } from "../src/operator/async-inference-options.js";
import { InferenceFailure } from "../src/operator/inference-failure.js";
import {
  collect,
  decodeNumber,
  encodeNumber,
  numbersTensor,
  readNumbers,
  rowModel,
  settleWithTimers,
  useFakeTime,
} from "./operator-fixtures.js";

beforeEach(() => {
  useFakeTime();
});
afterEach(() => {
  vi.useRealTimers();
});

const codec = { encode: encodeNumber, decode: decodeNumber };
const score = (x: number) => x * x + 1;

describe("asyncInference coalescing", () => {
  it("packs up to maxRows records per call and returns each record its own row", async () => {
    const { infer, calls } = rowModel(score, () => 3);
    const records = [...Array(10).keys()];
    const out = await settleWithTimers(
      collect(asyncInference(records, { ...codec, infer, batch: { maxRows: 4, maxDelayMs: 50 } })),
    );
    expect(out).toEqual(records.map(score));
    expect(calls.map((call) => call.inputs)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it("gives every record its own result in either mode, whatever the batching and latencies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.func(fc.integer({ min: 0, max: 40 })),
        async (records, maxRows, maxDelayMs, capacity, ordered, latency) => {
          useFakeTime();
          const { infer, calls } = rowModel(score, (inputs) => latency(inputs.join()));
          const out = await settleWithTimers(
            collect(
              asyncInference(records, {
                infer,
                capacity,
                ordered,
                batch: { maxRows, maxDelayMs },
                encode: encodeNumber,
                // Pairs each result with its record, to check it is the record's own row.
                decode: (outputs, record) => ({ record, result: decodeNumber(outputs) }),
              }),
            ),
          );
          for (const { record, result } of out) expect(result).toBe(score(record));
          const emitted = out.map(({ record }) => record);
          if (ordered) expect(emitted).toEqual(records);
          else
            expect([...emitted].sort((a, b) => a - b)).toEqual([...records].sort((a, b) => a - b));
          for (const call of calls) expect(call.inputs.length).toBeLessThanOrEqual(maxRows);
          vi.useRealTimers();
        },
      ),
      { numRuns: 150 },
    );
  });

  it("sends a partial batch after maxDelayMs, and at once at end of input", async () => {
    const { infer, calls } = rowModel(score);
    async function* trickle() {
      yield 1;
      yield 2;
      // Fake timers: a gap in the input on the test clock, not a real sleep.
      await new Promise((resolve) => setTimeout(resolve, 100));
      yield 3;
    }
    const out = await settleWithTimers(
      collect(
        asyncInference(trickle(), { ...codec, infer, batch: { maxRows: 8, maxDelayMs: 30 } }),
      ),
    );
    expect(out).toEqual([1, 2, 3].map(score));
    expect(calls.map((call) => [call.inputs, call.startedAt])).toEqual([
      [[1, 2], 30],
      [[3], 100],
    ]);
  });

  it("retries the members of a failed batch each on its own policy, in new batches", async () => {
    let failuresLeft = 1;
    const batches: number[][] = [];
    const infer: InferFunction = async (inputs) => {
      const values = readNumbers(inputs[0] as Tensor);
      batches.push(values);
      if (failuresLeft-- > 0) throw new SidecarError(ErrorCode.Unavailable, "overloaded");
      return [numbersTensor("y", values.map(score))];
    };
    const out = await settleWithTimers(
      collect(
        asyncInference([1, 2, 3], {
          ...codec,
          infer,
          batch: { maxRows: 3, maxDelayMs: 10 },
          retry: { strategy: "fixed", delayMs: 20, maxAttempts: 2 },
        }),
      ),
    );
    expect(out).toEqual([1, 2, 3].map(score));
    expect(batches).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  it("fails each member of a failed batch on its own with onError emit", async () => {
    const infer: InferFunction = async () => {
      throw new SidecarError(ErrorCode.InvalidArgument, "bad batch");
    };
    const out = await settleWithTimers(
      collect(
        asyncInference([1, 2], {
          ...codec,
          infer,
          onError: "emit",
          batch: { maxRows: 2, maxDelayMs: 5 },
        }),
      ),
    );
    expect(out).toHaveLength(2);
    expect(out.map((value) => value instanceof InferenceFailure && value.record)).toEqual([1, 2]);
  });

  it("fails every member with INTERNAL when the model answers a wrong number of rows", async () => {
    const infer: InferFunction = async () => [numbersTensor("y", [1])];
    const out = await settleWithTimers(
      collect(
        asyncInference([1, 2], {
          ...codec,
          infer,
          onError: "emit",
          batch: { maxRows: 2, maxDelayMs: 5 },
        }),
      ),
    );
    expect(out).toMatchObject([
      { record: 1, error: { code: ErrorCode.Internal } },
      { record: 2, error: { code: ErrorCode.Internal } },
    ]);
  });

  it("sends records whose tensors cannot be concatenated in calls of their own", async () => {
    const { infer, calls } = rowModel(score);
    const encode = (x: number): Tensor[] => {
      const tensor = numbersTensor("x", [x]);
      // Record 2's tensor has another non-batch shape: it cannot join the others.
      return [x === 2 ? { ...tensor, shape: [1, 1, 1] } : tensor];
    };
    const out = await settleWithTimers(
      collect(
        asyncInference([1, 2, 3], {
          infer,
          encode,
          decode: decodeNumber,
          batch: { maxRows: 3, maxDelayMs: 5 },
        }),
      ),
    );
    expect(out).toEqual([1, 2, 3].map(score));
    expect(calls.map((call) => call.inputs)).toEqual([[1], [2], [3]]);
  });

  it("a member that times out leaves its batch; the call is aborted only when all have", async () => {
    const { infer, calls } = rowModel(score, () => Number.POSITIVE_INFINITY);
    async function* trickle() {
      yield 1;
      // Fake timers, as above.
      await new Promise((resolve) => setTimeout(resolve, 20));
      yield 2;
      // Input stays open, so the batch leaves by maxDelayMs rather than by end of input.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const run = collect(
      asyncInference(trickle(), {
        ...codec,
        infer,
        timeoutMs: 100,
        onTimeout: "drop",
        batch: { maxRows: 3, maxDelayMs: 30 },
      }),
    );
    await vi.advanceTimersByTimeAsync(30);
    expect(calls.map((call) => call.inputs)).toEqual([[1, 2]]);
    // Time left to the earliest member's deadline (record 1's, at 100).
    expect(calls[0]?.context.timeoutMs).toBe(70);
    await vi.advanceTimersByTimeAsync(70);
    expect(calls[0]?.context.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(calls[0]?.context.signal.aborted).toBe(true);
    expect(await settleWithTimers(run)).toEqual([]);
  });
});

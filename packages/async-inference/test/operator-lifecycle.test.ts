import { ErrorCode } from "@gpu-sidecar/sidecar-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { asyncInference } from "../src/operator/async-inference.js";
import {
  collect,
  decodeNumber,
  encodeNumber,
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

describe("asyncInference lifecycle", () => {
  it("drains every record in flight at end of input before completing", async () => {
    const { infer, calls } = rowModel(
      (x) => x * 2,
      ([x]) => 100 - (x ?? 0) * 10,
    );
    const iterator = asyncInference([1, 2, 3, 4, 5], { ...codec, infer, ordered: false })[
      Symbol.asyncIterator
    ]();
    const seen: number[] = [];
    const done = (async () => {
      for (;;) {
        const step = await iterator.next();
        if (step.done === true) return Date.now();
        seen.push(step.value);
      }
    })();
    const completedAt = await settleWithTimers(done);
    expect(seen).toEqual([10, 8, 6, 4, 2]);
    // The source ended at once; completion waited for the slowest record (90 ms).
    expect(completedAt).toBe(90);
    expect(calls.every((call) => !call.context.signal.aborted)).toBe(true);
  });

  it("completes at once on an empty source", async () => {
    const { infer, calls } = rowModel((x) => x);
    expect(await collect(asyncInference([], { ...codec, infer }))).toEqual([]);
    expect(calls).toHaveLength(0);
  });

  it("options.signal aborts the calls in flight and errors the stream with CANCELLED", async () => {
    const { infer, calls } = rowModel(
      (x) => x,
      () => Number.POSITIVE_INFINITY,
    );
    const controller = new AbortController();
    const run = collect(asyncInference([1, 2, 3], { ...codec, infer, signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toHaveLength(3);
    controller.abort(new Error("shutting down"));
    await expect(run).rejects.toMatchObject({
      code: ErrorCode.Cancelled,
      cause: new Error("shutting down"),
    });
    expect(calls.map((call) => call.context.signal.aborted)).toEqual([true, true, true]);
  });

  it("an already aborted signal fails the first next() without calling the model", async () => {
    const { infer, calls } = rowModel((x) => x);
    const run = collect(asyncInference([1], { ...codec, infer, signal: AbortSignal.abort() }));
    await expect(run).rejects.toMatchObject({ code: ErrorCode.Cancelled });
    expect(calls).toHaveLength(0);
  });

  it("a consumer that stops early aborts the calls in flight and closes the source", async () => {
    const { infer, calls } = rowModel(
      (x) => x,
      ([x]) => (x === 0 ? 1 : Number.POSITIVE_INFINITY),
    );
    let closed = false;
    function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const consume = async () => {
      for await (const value of asyncInference(source(), { ...codec, infer, capacity: 4 })) {
        return value;
      }
      return undefined;
    };
    expect(await settleWithTimers(consume())).toBe(0);
    expect(closed).toBe(true);
    // Records 1 to 3 were in flight when the consumer stopped; none was pulled after.
    expect(calls).toHaveLength(4);
    expect(calls.slice(1).map((call) => call.context.signal.aborted)).toEqual([true, true, true]);
    expect(calls[1]?.context.signal.reason).toMatchObject({ code: ErrorCode.Cancelled });
  });

  it("ends with the source's own error, aborting the calls in flight", async () => {
    const { infer, calls } = rowModel(
      (x) => x,
      () => Number.POSITIVE_INFINITY,
    );
    const broken = new RangeError("source broke");
    async function* source() {
      yield 1;
      throw broken;
    }
    await expect(
      settleWithTimers(collect(asyncInference(source(), { ...codec, infer }))),
    ).rejects.toBe(broken);
    expect(calls[0]?.context.signal.aborted).toBe(true);
  });

  it("reports the failure once, then is done", async () => {
    const { infer } = rowModel((x) => x);
    const iterator = asyncInference([1], { ...codec, infer, signal: AbortSignal.abort() })[
      Symbol.asyncIterator
    ]();
    await expect(iterator.next()).rejects.toMatchObject({ code: ErrorCode.Cancelled });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it("iterates the source afresh for every iteration of the result", async () => {
    const { infer } = rowModel((x) => x + 1);
    const results = asyncInference([1, 2], { ...codec, infer });
    expect(await settleWithTimers(collect(results))).toEqual([2, 3]);
    expect(await settleWithTimers(collect(results))).toEqual([2, 3]);
  });
});

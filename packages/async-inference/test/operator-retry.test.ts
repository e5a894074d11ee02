import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { asyncInference } from "../src/operator/async-inference.js";
import type { InferFunction } from "../src/operator/async-inference-options.js";
import { InferenceFailure } from "../src/operator/inference-failure.js";
import { retryDelayMs } from "../src/operator/retry-strategy.js";
import {
  collect,
  decodeNumber,
  encodeNumber,
  numbersTensor,
  readNumbers,
  settleWithTimers,
  useFakeTime,
} from "./operator-fixtures.js";

beforeEach(() => {
  useFakeTime();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/**
 * A model whose first `failures(x)` calls for record x fail with `code` after `latencyMs`;
 * later calls answer 10·x. Keeps the start and end time of every call, per record.
 */
function flakyModel(
  failures: (x: number) => number,
  code: ErrorCode = ErrorCode.Unavailable,
  latencyMs = 0,
) {
  const starts = new Map<number, number[]>();
  const ends = new Map<number, number[]>();
  const infer: InferFunction = (inputs) => {
    const x = readNumbers(inputs[0] ?? numbersTensor("x", []))[0] ?? Number.NaN;
    const seen = starts.get(x) ?? [];
    seen.push(Date.now());
    starts.set(x, seen);
    const fail = seen.length <= failures(x);
    return new Promise((resolve, reject) =>
      setTimeout(() => {
        ends.set(x, [...(ends.get(x) ?? []), Date.now()]);
        if (fail) reject(new SidecarError(code, `attempt ${seen.length} of ${x} failed`));
        else resolve([numbersTensor("y", [x * 10])]);
      }, latencyMs),
    );
  };
  /** Pauses between the end of an attempt of record x and the start of the next. */
  const pauses = (x: number) => {
    const endTimes = ends.get(x) ?? [];
    return (starts.get(x) ?? []).slice(1).map((start, i) => start - (endTimes[i] ?? 0));
  };
  return { infer, starts, pauses };
}

const base = { encode: encodeNumber, decode: decodeNumber, timeoutMs: 100_000 };

describe("asyncInference fixed-delay retry", () => {
  it("retries UNAVAILABLE after exactly delayMs and emits the eventual result", async () => {
    const { infer, starts, pauses } = flakyModel(() => 2, ErrorCode.Unavailable, 5);
    const out = await settleWithTimers(
      collect(
        asyncInference([1], {
          ...base,
          infer,
          retry: { strategy: "fixed", delayMs: 30, maxAttempts: 3 },
        }),
      ),
    );
    expect(out).toEqual([10]);
    expect(starts.get(1)).toHaveLength(3);
    expect(pauses(1)).toEqual([30, 30]);
  });

  it("stops after maxAttempts attempts in total and fails with the last error", async () => {
    const { infer, starts } = flakyModel(() => 99, ErrorCode.ResourceExhausted);
    const run = collect(
      asyncInference([1], {
        ...base,
        infer,
        retry: { strategy: "fixed", delayMs: 1, maxAttempts: 4 },
      }),
    );
    await expect(settleWithTimers(run)).rejects.toMatchObject({
      code: ErrorCode.ResourceExhausted,
      message: "attempt 4 of 1 failed",
    });
    expect(starts.get(1)).toHaveLength(4);
  });

  it("does not retry codes outside the default set", async () => {
    const { infer, starts } = flakyModel(() => 1, ErrorCode.InvalidArgument);
    const run = collect(
      asyncInference([1], {
        ...base,
        infer,
        retry: { strategy: "fixed", delayMs: 1, maxAttempts: 5 },
      }),
    );
    await expect(settleWithTimers(run)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    expect(starts.get(1)).toHaveLength(1);
  });

  it("asks retryOnError with the code and the error", async () => {
    const { infer, starts } = flakyModel(() => 1, ErrorCode.Internal);
    const retryOnError = vi.fn(
      (code: ErrorCode, _error: SidecarError) => code === ErrorCode.Internal,
    );
    const out = await settleWithTimers(
      collect(
        asyncInference([1], {
          ...base,
          infer,
          retry: { strategy: "fixed", delayMs: 1, maxAttempts: 2, retryOnError },
        }),
      ),
    );
    expect(out).toEqual([10]);
    expect(starts.get(1)).toHaveLength(2);
    expect(retryOnError).toHaveBeenCalledTimes(1);
    expect(retryOnError.mock.calls[0]?.[0]).toBe(ErrorCode.Internal);
    expect(retryOnError.mock.calls[0]?.[1]).toBeInstanceOf(SidecarError);
  });

  it("retries a result that retryOnResult rejects, and keeps the last one when out of attempts", async () => {
    let answer = 0;
    const infer: InferFunction = async () => [numbersTensor("y", [answer++])];
    const retryOnResult = vi.fn((result: number) => result < 10);
    const out = await settleWithTimers(
      collect(
        asyncInference([1, 2], {
          ...base,
          infer,
          retry: { strategy: "fixed", delayMs: 5, maxAttempts: 3, retryOnResult },
        }),
      ),
    );
    // Record 1 saw 0, 1, 2 (out of attempts: 2 stands); record 2 saw the next three.
    expect(out).toHaveLength(2);
    expect(out[0]).toBeLessThan(10);
    expect(answer).toBe(6);
    expect(retryOnResult).toHaveBeenCalledTimes(6);
  });
});

describe("asyncInference exponential retry", () => {
  const exponential = {
    strategy: "exponential",
    initialDelayMs: 10,
    maxDelayMs: 50,
    multiplier: 2,
    maxAttempts: 6,
  } as const;

  it("doubles the pause up to maxDelayMs", async () => {
    const { infer, pauses } = flakyModel(() => 5);
    const out = await settleWithTimers(
      collect(asyncInference([1], { ...base, infer, retry: exponential })),
    );
    expect(out).toEqual([10]);
    expect(pauses(1)).toEqual([10, 20, 40, 50, 50]);
  });

  it("keeps the pause within delay × [1 − jitter, 1 + jitter], capped at maxDelayMs", async () => {
    const random = vi.spyOn(Math, "random");
    random.mockReturnValue(0);
    const low = flakyModel(() => 3);
    await settleWithTimers(
      collect(
        asyncInference([1], { ...base, infer: low.infer, retry: { ...exponential, jitter: 0.5 } }),
      ),
    );
    expect(low.pauses(1)).toEqual([5, 10, 20]);
    random.mockReturnValue(1);
    const high = flakyModel(() => 3);
    await settleWithTimers(
      collect(
        asyncInference([1], { ...base, infer: high.infer, retry: { ...exponential, jitter: 0.5 } }),
      ),
    );
    expect(high.pauses(1)).toEqual([15, 30, 50]);
  });

  it("keeps backoff per record: each record's pauses depend only on its own failures", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 30 }),
        async (failures, latencyMs) => {
          useFakeTime();
          const records = failures.map((_, i) => i);
          const model = flakyModel((x) => failures[x] ?? 0, ErrorCode.Unavailable, latencyMs);
          const out = await settleWithTimers(
            collect(
              asyncInference(records, {
                ...base,
                infer: model.infer,
                retry: exponential,
                capacity: 4,
              }),
            ),
          );
          expect(out).toEqual(records.map((x) => x * 10));
          for (const x of records) {
            expect(model.pauses(x)).toEqual([10, 20, 40, 50].slice(0, failures[x]));
          }
          vi.useRealTimers();
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("retryDelayMs", () => {
  it("stays a number however many retries came before", () => {
    const strategy = {
      strategy: "exponential",
      initialDelayMs: 5,
      maxDelayMs: 60,
      maxAttempts: 5000,
    } as const;
    expect(retryDelayMs(strategy, 4000, Math.random)).toBe(60);
    expect(retryDelayMs({ ...strategy, initialDelayMs: 0 }, 4000, Math.random)).toBe(0);
  });
});

describe("asyncInference retry against timeout (FLINK-40456)", () => {
  it("does not start a retry due after the deadline: the timeout settles the record once", async () => {
    const { infer, starts } = flakyModel(() => 99, ErrorCode.Unavailable, 50);
    const emit = vi.fn((record: number) => -record);
    const out = await settleWithTimers(
      collect(
        asyncInference([1], {
          ...base,
          infer,
          timeoutMs: 100,
          onTimeout: { emit },
          retry: { strategy: "fixed", delayMs: 60, maxAttempts: 5 },
        }),
      ),
    );
    // Attempt 1 fails at 50; its retry would start at 110, past the deadline at 100.
    expect(starts.get(1)).toEqual([0]);
    expect(out).toEqual([-1]);
    expect(emit).toHaveBeenCalledTimes(1);
    expect(Date.now()).toBe(100);
  });

  it("aborts the attempt in flight at the deadline", async () => {
    const signals: AbortSignal[] = [];
    const infer: InferFunction = (_inputs, { signal }) => {
      signals.push(signal);
      return new Promise((_resolve, reject) =>
        setTimeout(
          () => reject(new SidecarError(ErrorCode.Unavailable, "busy")),
          signals.length === 1 ? 30 : 1000,
        ),
      );
    };
    const out = await settleWithTimers(
      collect(
        asyncInference([1], {
          ...base,
          infer,
          timeoutMs: 100,
          onTimeout: "drop",
          retry: { strategy: "fixed", delayMs: 20, maxAttempts: 3 },
        }),
      ),
    );
    expect(out).toEqual([]);
    expect(signals).toHaveLength(2);
    expect(signals[1]?.aborted).toBe(true);
    expect(signals[1]?.reason).toMatchObject({ code: ErrorCode.DeadlineExceeded });
  });

  it("settles every record exactly once, never starts an attempt after its deadline, never hangs", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 80 })), {
          minLength: 1,
          maxLength: 10,
        }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 80 }),
        async (plan, timeoutMs, delayMs) => {
          useFakeTime();
          const records = plan.map((_, i) => i);
          const admitted = new Map<number, number>();
          const starts: { x: number; at: number }[] = [];
          const infer: InferFunction = (inputs, { signal }) => {
            const x = readNumbers(inputs[0] ?? numbersTensor("x", []))[0] ?? 0;
            starts.push({ x, at: Date.now() });
            const [failures = 0, latency = 0] = plan[x] ?? [];
            const attempt = starts.filter((start) => start.x === x).length;
            return new Promise((resolve, reject) => {
              signal.addEventListener("abort", () => reject(signal.reason), { once: true });
              setTimeout(() => {
                if (attempt <= failures) reject(new SidecarError(ErrorCode.Unavailable, "busy"));
                else resolve([numbersTensor("y", [x])]);
              }, latency);
            });
          };
          const out = await settleWithTimers(
            collect(
              asyncInference(records, {
                infer,
                encode: (x) => {
                  admitted.set(x, Date.now());
                  return encodeNumber(x);
                },
                decode: decodeNumber,
                timeoutMs,
                onTimeout: { emit: (x) => -1 - x },
                onError: "emit",
                retry: { strategy: "fixed", delayMs, maxAttempts: 4 },
              }),
            ),
          );
          // One output per record, in order: its result, its default value, or its failure.
          const settledRecords = out.map((value) => {
            if (value instanceof InferenceFailure) return value.record;
            return value < 0 ? -1 - value : value;
          });
          expect(settledRecords).toEqual(records);
          for (const { x, at } of starts) {
            expect(at).toBeLessThan((admitted.get(x) ?? 0) + timeoutMs);
          }
          vi.useRealTimers();
        },
      ),
      { numRuns: 200 },
    );
  });
});

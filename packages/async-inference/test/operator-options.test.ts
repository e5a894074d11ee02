import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import { describe, expect, it } from "vitest";
import { asyncInference } from "../src/operator/async-inference.js";
import type { AsyncInferenceOptions } from "../src/operator/async-inference-options.js";
import { decodeNumber, encodeNumber, rowModel } from "./operator-fixtures.js";

const valid: AsyncInferenceOptions<number, number> = {
  infer: rowModel((x) => x).infer,
  encode: encodeNumber,
  decode: decodeNumber,
};

/** Options as a careless JavaScript caller might pass them, past the type checker. */
function withOption(patch: Record<string, unknown>): AsyncInferenceOptions<number, number> {
  return { ...valid, ...patch } as AsyncInferenceOptions<number, number>;
}

describe("asyncInference options", () => {
  it.each([
    [{ capacity: 0 }, "capacity is 0, expected an integer ≥ 1"],
    [{ capacity: 2.5 }, "capacity is 2.5, expected an integer ≥ 1"],
    [{ ordered: "yes" }, 'ordered is "yes", expected true or false'],
    [{ timeoutMs: 0 }, "timeoutMs is 0, expected a number > 0 and ≤ 2147483647, or Infinity"],
    [
      { timeoutMs: 3e9 },
      "timeoutMs is 3000000000, expected a number > 0 and ≤ 2147483647, or Infinity",
    ],
    [
      { onTimeout: "retry" },
      'onTimeout is "retry", expected "fail", "drop" or { emit: (record) => result }',
    ],
    [{ onError: "ignore" }, 'onError is "ignore", expected "fail" or "emit"'],
    [{ infer: undefined }, "infer is undefined, expected a function"],
    [{ isWatermark: true }, "isWatermark is true, expected a function"],
    [{ batch: { maxRows: 0, maxDelayMs: 1 } }, "batch.maxRows is 0, expected an integer ≥ 1"],
    [
      { batch: { maxRows: 4, maxDelayMs: -1 } },
      "batch.maxDelayMs is -1, expected a number from 0 to 2147483647",
    ],
    [
      { priority: -1 },
      "priority is -1, expected an integer ≥ 0 (1 is the highest level, 0 the model's default)",
    ],
    [
      { retry: { strategy: "linear", maxAttempts: 2 } },
      'retry.strategy is "linear", expected "fixed" or "exponential"',
    ],
    [
      { retry: { strategy: "fixed", delayMs: 10, maxAttempts: 0 } },
      "retry.maxAttempts is 0, expected an integer ≥ 1 (attempts in total, the first included)",
    ],
    [
      { retry: { strategy: "fixed", delayMs: Number.NaN, maxAttempts: 2 } },
      "retry.delayMs is NaN, expected a number from 0 to 2147483647",
    ],
    [
      { retry: { strategy: "exponential", initialDelayMs: 100, maxDelayMs: 10, maxAttempts: 3 } },
      "retry.maxDelayMs is 10, expected a number ≥ retry.initialDelayMs (100)",
    ],
    [
      {
        retry: {
          strategy: "exponential",
          initialDelayMs: 1,
          maxDelayMs: 10,
          multiplier: 0.5,
          maxAttempts: 3,
        },
      },
      "retry.multiplier is 0.5, expected a finite number ≥ 1",
    ],
    [
      {
        retry: {
          strategy: "exponential",
          initialDelayMs: 1,
          maxDelayMs: 10,
          jitter: 2,
          maxAttempts: 3,
        },
      },
      "retry.jitter is 2, expected a number from 0 to 1",
    ],
  ])("rejects %o, naming the option, the value and what is expected", (patch, message) => {
    let thrown: unknown;
    try {
      asyncInference([], withOption(patch));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SidecarError);
    expect(thrown).toMatchObject({
      code: ErrorCode.InvalidArgument,
      message: `asyncInference: option ${message}`,
    });
  });

  it("accepts the documented extremes", () => {
    expect(() =>
      asyncInference(
        [],
        withOption({
          capacity: 1,
          timeoutMs: Number.POSITIVE_INFINITY,
          onTimeout: { emit: () => 0 },
          batch: { maxRows: 1, maxDelayMs: 0 },
          retry: {
            strategy: "exponential",
            initialDelayMs: 0,
            maxDelayMs: 0,
            multiplier: 1,
            jitter: 1,
            maxAttempts: 1,
          },
        }),
      ),
    ).not.toThrow();
  });
});

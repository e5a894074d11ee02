import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from "vitest";
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

/** Record 2 is rejected as INVALID_ARGUMENT after 5 ms; the others answer 10·x after `slowMs`. */
function rejectingTwo(slowMs = 50) {
  const signals: AbortSignal[] = [];
  const infer: InferFunction = (inputs, { signal }) => {
    signals.push(signal);
    const x = readNumbers(inputs[0] ?? numbersTensor("x", []))[0];
    return new Promise((resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      if (x === 2)
        setTimeout(() => reject(new SidecarError(ErrorCode.InvalidArgument, "bad row")), 5);
      else setTimeout(() => resolve([numbersTensor("y", [(x ?? 0) * 10])]), slowMs);
    });
  };
  return { infer, signals };
}

describe("asyncInference onError", () => {
  it('"fail" (default) errors the stream with the record\'s error and aborts the other calls', async () => {
    const { infer, signals } = rejectingTwo();
    const run = collect(
      asyncInference([1, 2, 3], { infer, encode: encodeNumber, decode: decodeNumber }),
    );
    const failed = await settleWithTimers(
      run.then(
        () => undefined,
        (error: unknown) => ({ error, at: Date.now() }),
      ),
    );
    expect(failed).toMatchObject({
      error: { code: ErrorCode.InvalidArgument, message: "bad row" },
      at: 5,
    });
    expect(signals.map((signal) => signal.aborted)).toEqual([true, false, true]);
    expect(signals[0]?.reason).toBe(failed?.error);
  });

  it('"emit" emits an InferenceFailure in the record\'s place and goes on', async () => {
    const { infer } = rejectingTwo();
    const out = await settleWithTimers(
      collect(
        asyncInference([1, 2, 3], {
          infer,
          encode: encodeNumber,
          decode: decodeNumber,
          onError: "emit",
        }),
      ),
    );
    expect(out).toEqual([10, new InferenceFailure(2, expect.any(SidecarError)), 30]);
    const failure = out[1];
    expect(failure instanceof InferenceFailure && failure.error.code).toBe(
      ErrorCode.InvalidArgument,
    );
  });

  it("types the output precisely: failures only with onError emit, watermarks only when marked", () => {
    const { infer } = rowModel((x) => x);
    const options = { infer, encode: encodeNumber, decode: decodeNumber };
    expectTypeOf(asyncInference([1], options)).toEqualTypeOf<AsyncIterable<number>>();
    expectTypeOf(asyncInference([1], { ...options, onError: "emit" })).toEqualTypeOf<
      AsyncIterable<number | InferenceFailure<number>>
    >();
    const isWatermark = (element: number | string): element is string =>
      typeof element === "string";
    expectTypeOf(
      asyncInference([1, "wm"], {
        ...options,
        encode: (x: number) => encodeNumber(x),
        isWatermark,
      }),
    ).toEqualTypeOf<AsyncIterable<number | string>>();
  });

  it("turns encode and decode errors into the record's failure, not retried", async () => {
    const { infer, calls } = rowModel((x) => x);
    const out = await settleWithTimers(
      collect(
        asyncInference([1, 2, 3], {
          infer,
          encode: (x) => {
            if (x === 1) throw new Error("cannot encode");
            return encodeNumber(x);
          },
          decode: (outputs, x) => {
            if (x === 2) throw new SidecarError(ErrorCode.InvalidArgument, "cannot decode");
            return decodeNumber(outputs);
          },
          onError: "emit",
          retry: { strategy: "fixed", delayMs: 1, maxAttempts: 3, retryOnError: () => true },
        }),
      ),
    );
    expect(out[0]).toMatchObject({
      record: 1,
      error: { code: ErrorCode.Internal, message: "cannot encode" },
    });
    expect(out[1]).toMatchObject({ record: 2, error: { code: ErrorCode.InvalidArgument } });
    expect(out[2]).toBe(3);
    expect(calls.map((call) => call.inputs[0])).toEqual([2, 3]);
  });

  it("treats an infer that throws synchronously like a rejected call", async () => {
    const infer: InferFunction = () => {
      throw new SidecarError(ErrorCode.Unavailable, "no endpoint");
    };
    const out = await settleWithTimers(
      collect(
        asyncInference([1], { infer, encode: encodeNumber, decode: decodeNumber, onError: "emit" }),
      ),
    );
    expect(out).toMatchObject([
      { record: 1, error: { code: ErrorCode.Unavailable, message: "no endpoint" } },
    ]);
  });

  it("normalizes foreign errors to SidecarError, keeping the original as cause", async () => {
    const original = new TypeError("socket hang up");
    const infer: InferFunction = () => Promise.reject(original);
    const run = collect(asyncInference([1], { infer, encode: encodeNumber, decode: decodeNumber }));
    const error = await settleWithTimers(run).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(SidecarError);
    expect(error).toMatchObject({ code: ErrorCode.Internal, cause: original });
  });
});

import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { asyncInference } from "../src/operator/async-inference.js";
import { InferenceFailure } from "../src/operator/inference-failure.js";
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

/** Record 2 never answers; the others answer after 10 ms. */
const stuckOnTwo = () =>
  rowModel(
    (x) => x * 10,
    ([x]) => (x === 2 ? Number.POSITIVE_INFINITY : 10),
  );

describe("asyncInference timeouts", () => {
  it("fails the stream with DEADLINE_EXCEEDED by default, aborting the stuck call at the deadline", async () => {
    const { infer, calls } = stuckOnTwo();
    const run = collect(
      asyncInference([1, 2, 3], {
        infer,
        encode: encodeNumber,
        decode: decodeNumber,
        timeoutMs: 100,
      }),
    );
    await expect(settleWithTimers(run)).rejects.toMatchObject({
      name: "SidecarError",
      code: ErrorCode.DeadlineExceeded,
    });
    expect(Date.now()).toBe(100);
    expect(calls[1]?.context.signal.aborted).toBe(true);
  });

  it("emits the default value in the record's place, in order", async () => {
    const { infer } = stuckOnTwo();
    const out = await settleWithTimers(
      collect(
        asyncInference([1, 2, 3], {
          infer,
          encode: encodeNumber,
          decode: decodeNumber,
          timeoutMs: 100,
          onTimeout: { emit: (record) => -record },
        }),
      ),
    );
    expect(out).toEqual([10, -2, 30]);
  });

  it("drops the record", async () => {
    const { infer } = stuckOnTwo();
    const out = await settleWithTimers(
      collect(
        asyncInference([1, 2, 3], {
          infer,
          encode: encodeNumber,
          decode: decodeNumber,
          timeoutMs: 100,
          onTimeout: "drop",
        }),
      ),
    );
    expect(out).toEqual([10, 30]);
  });

  it('emits a DEADLINE_EXCEEDED failure with onError "emit"', async () => {
    const { infer } = stuckOnTwo();
    const out = await settleWithTimers(
      collect(
        asyncInference([1, 2, 3], {
          infer,
          encode: encodeNumber,
          decode: decodeNumber,
          timeoutMs: 100,
          onError: "emit",
        }),
      ),
    );
    expect(out[0]).toBe(10);
    expect(out[1]).toBeInstanceOf(InferenceFailure);
    expect(out[1]).toMatchObject({ record: 2, error: { code: ErrorCode.DeadlineExceeded } });
    expect(out[2]).toBe(30);
  });

  it("tells the call how much of the deadline is left", async () => {
    const { infer, calls } = rowModel(
      (x) => x,
      () => 5,
    );
    await settleWithTimers(
      collect(
        asyncInference([1], {
          infer,
          encode: encodeNumber,
          decode: decodeNumber,
          timeoutMs: 250,
          priority: 2,
        }),
      ),
    );
    expect(calls[0]?.context.timeoutMs).toBe(250);
    expect(calls[0]?.context.priority).toBe(2);
  });

  it("sets no deadline with timeoutMs Infinity", async () => {
    const { infer, calls } = rowModel(
      (x) => x,
      () => 1_000_000_000,
    );
    const out = await settleWithTimers(
      collect(
        asyncInference([7], {
          infer,
          encode: encodeNumber,
          decode: decodeNumber,
          timeoutMs: Number.POSITIVE_INFINITY,
        }),
      ),
    );
    expect(out).toEqual([7]);
    expect(calls[0]?.context).not.toHaveProperty("timeoutMs");
  });

  it("treats a default value that throws as the record's failure", async () => {
    const { infer } = stuckOnTwo();
    const run = collect(
      asyncInference([2], {
        infer,
        encode: encodeNumber,
        decode: decodeNumber,
        timeoutMs: 10,
        onTimeout: {
          emit: () => {
            throw new SidecarError(ErrorCode.InvalidArgument, "no default for this one");
          },
        },
      }),
    );
    await expect(settleWithTimers(run)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });
});

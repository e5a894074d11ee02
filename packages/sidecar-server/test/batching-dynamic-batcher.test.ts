import { Code, ConnectError } from "@connectrpc/connect";
import {
  ErrorCode,
  type ModelSignature,
  SidecarError,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DynamicBatcherConfig } from "../src/batching/batcher-config.js";
import type { BatchEvent, RequestOutcomeEvent } from "../src/batching/batcher-metrics.js";
import { createDynamicBatcher, type DynamicBatcher } from "../src/batching/dynamic-batcher.js";
import {
  FakeExecutor,
  f32,
  type Responder,
  rejectionOf,
  rowsTensor,
  track,
  valuesOf,
} from "./batching-fixtures.js";

const signature: ModelSignature = {
  inputs: [{ name: "x", datatype: "FP32", shape: [-1, 2] }],
  outputs: [{ name: "y", datatype: "FP32", shape: [-1, 2] }],
};

function setup(
  config: Partial<DynamicBatcherConfig> = {},
  executorOptions: ConstructorParameters<typeof FakeExecutor>[0] = {},
  model: ModelSignature = signature,
) {
  const executor = new FakeExecutor(executorOptions);
  const batches: BatchEvent[] = [];
  const outcomes: RequestOutcomeEvent[] = [];
  const depths: number[] = [];
  const inFlight: number[] = [];
  const batcher = createDynamicBatcher({
    signature: model,
    config: { max_batch_size: 8, ...config },
    executor,
    metrics: {
      onBatch: (event) => batches.push(event),
      onOutcome: (event) => outcomes.push(event),
      onQueueDepth: (depth) => depths.push(depth),
      onInFlight: (count) => inFlight.push(count),
    },
  });
  return { batcher, executor, batches, outcomes, depths, inFlight };
}

/** Submits `rows` rows whose values are `base`, `base + 1`, … (width 2). */
function submitRows(batcher: DynamicBatcher, rows: number, base: number, extra = {}) {
  return batcher.submit({ inputs: [rowsTensor("x", rows, 2, base)], ...extra });
}

function expectRows(outputs: Tensor[], rows: number, base: number): void {
  expect(outputs).toHaveLength(1);
  expect(outputs[0]?.name).toBe("y");
  expect(valuesOf(outputs[0])).toEqual(valuesOf(rowsTensor("y", rows, 2, base)));
}

/** Microtasks and due timers, without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("forming batches", () => {
  it("batches the requests of one tick into one run, each getting its own rows", async () => {
    const { batcher, executor } = setup({}, { autoRespond: true });
    const results = [
      submitRows(batcher, 1, 10),
      submitRows(batcher, 2, 20),
      submitRows(batcher, 1, 30),
    ];
    await settle();
    expect(executor.batchRows).toEqual([4]);
    expectRows(await (results[0] as Promise<Tensor[]>), 1, 10);
    expectRows(await (results[1] as Promise<Tensor[]>), 2, 20);
    expectRows(await (results[2] as Promise<Tensor[]>), 1, 30);
  });

  it("lets a partial batch wait max_queue_delay_us for company, not longer", async () => {
    const { batcher, executor } = setup({ max_queue_delay_us: 10_000 }, { autoRespond: true });
    const first = submitRows(batcher, 1, 0);
    await vi.advanceTimersByTimeAsync(6);
    const second = submitRows(batcher, 1, 1);
    await vi.advanceTimersByTimeAsync(3);
    expect(executor.runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(executor.batchRows).toEqual([2]);
    expectRows(await first, 1, 0);
    expectRows(await second, 1, 1);
  });

  it("runs a full batch at once, without waiting out the delay", async () => {
    const { batcher, executor } = setup({ max_batch_size: 4, max_queue_delay_us: 1_000_000 });
    for (let i = 0; i < 4; i++) void submitRows(batcher, 1, i);
    await settle();
    expect(executor.batchRows).toEqual([4]);
  });

  it("runs the largest preferred batch size at once and keeps the rest waiting", async () => {
    const { batcher, executor } = setup(
      { preferred_batch_sizes: [2, 4], max_queue_delay_us: 1_000_000 },
      { instances: 3 },
    );
    void submitRows(batcher, 1, 0);
    await settle();
    expect(executor.runs).toHaveLength(0);
    for (let i = 1; i < 7; i++) void submitRows(batcher, 1, i);
    await settle();
    expect(executor.batchRows).toEqual([4, 2]);
    expect(valuesOf(executor.runs[0]?.inputs[0])).toEqual(valuesOf(rowsTensor("x", 4, 2, 0)));
    expect(batcher.queued).toBe(1);
  });

  it("counts rows, not requests, against max_batch_size", async () => {
    const { batcher, executor } = setup({ max_batch_size: 4 }, { autoRespond: true, instances: 1 });
    void submitRows(batcher, 3, 0);
    void submitRows(batcher, 3, 3);
    await settle();
    expect(executor.batchRows).toEqual([3, 3]);
  });

  it("dispatches only when an instance is idle, then takes everything waiting", async () => {
    const { batcher, executor } = setup({}, { instances: 1 });
    const first = submitRows(batcher, 1, 0);
    await settle();
    const later = [submitRows(batcher, 1, 1), submitRows(batcher, 2, 2)];
    await settle();
    expect(executor.runs).toHaveLength(1);
    executor.runs[0]?.respond();
    await settle();
    expect(executor.batchRows).toEqual([1, 3]);
    executor.runs[1]?.respond();
    expectRows(await first, 1, 0);
    expectRows(await (later[1] as Promise<Tensor[]>), 2, 2);
  });

  it("runs strict priority between levels and FIFO within one; 0 and past the levels are the default (Triton)", async () => {
    const { batcher, executor } = setup(
      { max_batch_size: 1, priority_levels: 3, default_priority: 3 },
      { instances: 1 },
    );
    void submitRows(batcher, 1, 100);
    await settle();
    const order: [number, number][] = [
      [3, 0],
      [1, 1],
      [2, 2],
      [1, 3],
      [0, 4],
      [2, 5],
      [10, 6],
    ];
    for (const [priority, base] of order) void submitRows(batcher, 1, base, { priority });
    await settle();
    for (let i = 0; i < order.length; i++) {
      executor.runs[i]?.respond();
      await settle();
    }
    const ran = executor.runs.slice(1).map((run) => valuesOf(run.inputs[0])[0]);
    expect(ran).toEqual([1, 3, 2, 5, 0, 4, 6]);
  });
});

describe("strict priority across shape groups", () => {
  const variable: ModelSignature = {
    inputs: [{ name: "x", datatype: "FP32", shape: [-1, -1] }],
    outputs: [{ name: "y", datatype: "FP32", shape: [-1, -1] }],
  };

  function submitUrgentThenFullLowGroup(batcher: DynamicBatcher) {
    void batcher.submit({ inputs: [rowsTensor("x", 1, 2, 0)], priority: 1 });
    void batcher.submit({ inputs: [rowsTensor("x", 4, 3, 1)], priority: 2 });
  }

  it("keeps the only idle instance for a waiting, more urgent group", async () => {
    const { batcher, executor } = setup(
      { max_batch_size: 4, max_queue_delay_us: 5_000, priority_levels: 2 },
      { instances: 1 },
      variable,
    );
    submitUrgentThenFullLowGroup(batcher);
    await vi.advanceTimersByTimeAsync(4);
    expect(executor.runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(executor.runs.map((run) => run.inputs[0]?.shape)).toEqual([[1, 2]]);
  });

  it("lets a full, less urgent group use a spare instance", async () => {
    const { batcher, executor } = setup(
      { max_batch_size: 4, max_queue_delay_us: 5_000, priority_levels: 2 },
      { instances: 2 },
      variable,
    );
    submitUrgentThenFullLowGroup(batcher);
    await settle();
    expect(executor.runs.map((run) => run.inputs[0]?.shape)).toEqual([[4, 3]]);
    await vi.advanceTimersByTimeAsync(5);
    expect(executor.runs.map((run) => run.inputs[0]?.shape)).toEqual([
      [4, 3],
      [1, 2],
    ]);
  });
});

describe("splitting oversize requests", () => {
  it("splits a request larger than max_batch_size and reassembles its rows in order", async () => {
    const { batcher, executor } = setup({ max_batch_size: 4 }, { autoRespond: true });
    const big = submitRows(batcher, 10, 0);
    const small = submitRows(batcher, 1, 50);
    await settle();
    expect(executor.batchRows).toEqual([4, 4, 3]);
    const [joined] = await big;
    expect(joined?.shape).toEqual([10, 2]);
    expectRows(await big, 10, 0);
    expectRows(await small, 1, 50);
  });

  it("gives every request exactly its own rows and never passes max_batch_size", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        async (rowCounts, maxBatchSize, instances) => {
          const { batcher, executor } = setup(
            { max_batch_size: maxBatchSize },
            { autoRespond: true, instances },
          );
          let base = 0;
          const submitted = rowCounts.map((rows) => {
            const request = { rows, base, result: submitRows(batcher, rows, base) };
            base += rows;
            return request;
          });
          await settle();
          for (const { rows, base: first, result } of submitted)
            expectRows(await result, rows, first);
          expect(Math.max(...executor.batchRows)).toBeLessThanOrEqual(maxBatchSize);
          expect(executor.batchRows.reduce((a, b) => a + b, 0)).toBe(base);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("fails a split request once when one of its chunks fails, and only that batch", async () => {
    const { batcher, executor } = setup({ max_batch_size: 2 }, { instances: 3 });
    const big = track(submitRows(batcher, 4, 0));
    await settle();
    expect(executor.batchRows).toEqual([2, 2]);
    executor.runs[1]?.reject(new SidecarError(ErrorCode.Unavailable, "instance crashed"));
    await settle();
    expect(big.settled).toBe(true);
    expect((big.error as SidecarError).code).toBe(ErrorCode.Unavailable);
    executor.runs[0]?.respond();
    await settle();
    expect((big.error as SidecarError).message).toBe("instance crashed");
  });
});

describe("timeouts", () => {
  it("expires a queued request at its deadline while a long batch still runs", async () => {
    const { batcher, executor } = setup({}, { instances: 1 });
    const running = track(submitRows(batcher, 1, 0));
    await settle();
    const waiting = track(submitRows(batcher, 1, 1, { timeoutUs: 5_000 }));
    await vi.advanceTimersByTimeAsync(4);
    expect(waiting.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting.settled).toBe(true);
    expect((waiting.error as SidecarError).code).toBe(ErrorCode.DeadlineExceeded);
    expect(running.settled).toBe(false);
    expect(batcher.queued).toBe(0);
    executor.runs[0]?.respond();
    await settle();
    expect(executor.runs).toHaveLength(1);
  });

  it("lets a request lower the default timeout but not raise it", async () => {
    const { batcher } = setup({ default_timeout_us: 10_000 }, { instances: 0 });
    const raised = track(submitRows(batcher, 1, 0, { timeoutUs: 50_000 }));
    const lowered = track(submitRows(batcher, 1, 0, { timeoutUs: 2_000 }));
    const plain = track(submitRows(batcher, 1, 0));
    await vi.advanceTimersByTimeAsync(2);
    expect([raised.settled, lowered.settled, plain.settled]).toEqual([false, true, false]);
    await vi.advanceTimersByTimeAsync(8);
    expect([raised.settled, plain.settled]).toEqual([true, true]);
    expect((raised.error as SidecarError).code).toBe(ErrorCode.DeadlineExceeded);
  });

  it("keeps no timer for requests without timeout", async () => {
    const { batcher } = setup({}, { instances: 0 });
    void submitRows(batcher, 1, 0);
    await settle();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("cancellation", () => {
  it("takes an aborted request out of the queue at once; it never reaches the executor", async () => {
    const { batcher, executor } = setup({}, { instances: 1 });
    void submitRows(batcher, 1, 0);
    await settle();
    const controller = new AbortController();
    const cancelled = submitRows(batcher, 1, 1, { signal: controller.signal });
    const kept = submitRows(batcher, 1, 2);
    await settle();
    controller.abort();
    expect(batcher.queued).toBe(1);
    expect((await rejectionOf(cancelled)).code).toBe(ErrorCode.Cancelled);
    executor.runs[0]?.respond();
    await settle();
    expect(executor.runs.map((run) => valuesOf(run.inputs[0])[0])).toEqual([0, 2]);
    executor.runs[1]?.respond();
    expectRows(await kept, 1, 2);
  });

  it("refuses a request whose signal is already aborted", async () => {
    const { batcher, outcomes } = setup();
    const error = await rejectionOf(submitRows(batcher, 1, 0, { signal: AbortSignal.abort() }));
    expect(error.code).toBe(ErrorCode.Cancelled);
    expect(batcher.pending).toBe(0);
    expect(outcomes.map((event) => event.outcome)).toEqual(["cancelled"]);
  });

  it("settles a running request as cancelled and drops its results, its neighbours unharmed", async () => {
    const { batcher, executor } = setup();
    const controller = new AbortController();
    const cancelled = track(submitRows(batcher, 1, 0, { signal: controller.signal }));
    const neighbour = submitRows(batcher, 1, 1);
    await settle();
    controller.abort();
    await settle();
    expect((cancelled.error as SidecarError).code).toBe(ErrorCode.Cancelled);
    executor.runs[0]?.respond();
    expectRows(await neighbour, 1, 1);
  });
});

describe("deadlines", () => {
  // Connect's deadline signal and the gRPC hot path's abort with this reason.
  const deadline = () => new ConnectError("the operation timed out", Code.DeadlineExceeded);

  it("fails a queued or running request whose call's deadline passes with DEADLINE_EXCEEDED, as a timeout", async () => {
    const { batcher, executor, outcomes } = setup({}, { instances: 1 });
    const queued = new AbortController();
    const running = new AbortController();
    const ran = track(submitRows(batcher, 1, 0, { signal: running.signal }));
    await settle();
    const waited = track(submitRows(batcher, 1, 1, { signal: queued.signal }));
    await settle();
    queued.abort(deadline());
    running.abort(deadline());
    await settle();
    expect((waited.error as SidecarError).code).toBe(ErrorCode.DeadlineExceeded);
    expect((ran.error as SidecarError).code).toBe(ErrorCode.DeadlineExceeded);
    executor.runs[0]?.respond();
    await settle();
    expect(outcomes.map((event) => event.outcome)).toEqual(["timeout", "timeout"]);
  });

  it("refuses a request whose deadline passed before it was queued with DEADLINE_EXCEEDED", async () => {
    const { batcher, outcomes } = setup();
    for (const reason of [deadline(), new DOMException("timed out", "TimeoutError")]) {
      const error = await rejectionOf(
        submitRows(batcher, 1, 0, { signal: AbortSignal.abort(reason) }),
      );
      expect(error.code).toBe(ErrorCode.DeadlineExceeded);
    }
    expect(outcomes.map((event) => event.outcome)).toEqual(["timeout", "timeout"]);
  });
});

describe("back-pressure", () => {
  it("refuses past max_queue_size before any timer moves", async () => {
    const { batcher, outcomes } = setup({ max_queue_size: 2 }, { instances: 0 });
    void submitRows(batcher, 1, 0);
    void submitRows(batcher, 1, 1);
    const refused = track(submitRows(batcher, 1, 2));
    await Promise.resolve();
    await Promise.resolve();
    expect(refused.settled).toBe(true);
    const error = refused.error as SidecarError;
    expect(error.code).toBe(ErrorCode.ResourceExhausted);
    expect(error.message).toMatch(/max_queue_size is 2; retry later or raise max_queue_size/);
    expect(batcher.queued).toBe(2);
    expect(outcomes.map((event) => event.outcome)).toEqual(["rejected"]);
  });

  it("refuses past max_queue_bytes", async () => {
    const { batcher } = setup({ max_queue_bytes: 20 }, { instances: 0 });
    void submitRows(batcher, 2, 0);
    const error = await rejectionOf(submitRows(batcher, 1, 2));
    expect(error.code).toBe(ErrorCode.ResourceExhausted);
    expect(error.message).toMatch(/16 bytes queued and this request has 8, max_queue_bytes is 20/);
    expect(batcher.queued).toBe(1);
  });
});

describe("validation before enqueue", () => {
  it("refuses a malformed request alone; its neighbours batch and succeed", async () => {
    const { batcher, executor } = setup({}, { autoRespond: true });
    const good = submitRows(batcher, 1, 0);
    const wrongWidth = batcher.submit({ inputs: [f32("x", [1, 3], [1, 2, 3])] });
    const wrongType = batcher.submit({
      inputs: [{ name: "x", datatype: "INT32", shape: [1, 2], data: new Uint8Array(8) }],
    });
    const short = batcher.submit({ inputs: [{ ...rowsTensor("x", 1, 2, 0), shape: [2, 2] }] });
    const good2 = submitRows(batcher, 1, 1);
    for (const bad of [wrongWidth, wrongType, short]) {
      const error = await rejectionOf(bad);
      expect(error.code).toBe(ErrorCode.InvalidArgument);
      expect(error.message).toMatch(/^tensor "x": /);
    }
    await settle();
    expect(executor.batchRows).toEqual([2]);
    expectRows(await good, 1, 0);
    expectRows(await good2, 1, 1);
  });

  it("names unknown, repeated and missing tensors", async () => {
    const model: ModelSignature = {
      inputs: [
        { name: "a", datatype: "FP32", shape: [-1, 1] },
        { name: "b", datatype: "FP32", shape: [-1, 1] },
      ],
      outputs: [{ name: "y", datatype: "FP32", shape: [-1, 1] }],
    };
    const { batcher } = setup({}, {}, model);
    const a = f32("a", [1, 1], [1]);
    const b = f32("b", [1, 1], [2]);
    const cases: [Promise<Tensor[]>, RegExp][] = [
      [batcher.submit({ inputs: [a, f32("c", [1, 1], [3])] }), /tensor "c": is not an input/],
      [batcher.submit({ inputs: [a, b, f32("A", [1, 1], [1])] }), /tensor "A": is given twice/],
      [batcher.submit({ inputs: [a] }), /missing model inputs "b"/],
      [batcher.submit({ inputs: [a, b], outputs: ["z"] }), /tensor "z": is not an output/],
      [batcher.submit({ inputs: [a, b], outputs: ["y", "Y"] }), /tensor "Y": is requested twice/],
      [
        batcher.submit({ inputs: [a, f32("b", [2, 1], [2, 3])] }),
        /tensor "b": has 2 rows, expected 1/,
      ],
      [batcher.submit({ inputs: [a, b], priority: 1.5 }), /priority 1.5 is not/],
      [batcher.submit({ inputs: [f32("a", [0, 1], []), f32("b", [0, 1], [])] }), /has 0 rows/],
    ];
    for (const [result, message] of cases) {
      const error = await rejectionOf(result);
      expect(error.code).toBe(ErrorCode.InvalidArgument);
      expect(error.message).toMatch(message);
    }
    expect(batcher.pending).toBe(0);
  });

  it("matches names case-insensitively and answers with the names asked for", async () => {
    const { batcher, executor } = setup({}, { autoRespond: true });
    const outputs = await batcher.submit({ inputs: [rowsTensor("X", 1, 2, 4)], outputs: ["Y"] });
    expect(executor.runs[0]?.inputs[0]?.name).toBe("x");
    expect(executor.runs[0]?.outputNames).toEqual(["y"]);
    expect(outputs.map((output) => output.name)).toEqual(["Y"]);
    expect(valuesOf(outputs[0])).toEqual([4, 4]);
  });
});

describe("executor answers", () => {
  it("fails only the members of a failed batch, with the executor's error", async () => {
    const { batcher, executor } = setup({ max_batch_size: 2 }, { instances: 2 });
    const failed = [submitRows(batcher, 1, 0), submitRows(batcher, 1, 1)];
    const fine = [submitRows(batcher, 1, 2), submitRows(batcher, 1, 3)];
    await settle();
    expect(executor.batchRows).toEqual([2, 2]);
    executor.runs[0]?.reject(new Error("CUDA out of memory"));
    executor.runs[1]?.respond();
    for (const result of failed) {
      const error = await rejectionOf(result);
      expect(error.code).toBe(ErrorCode.Internal);
      expect(error.message).toBe("CUDA out of memory");
    }
    expectRows(await (fine[0] as Promise<Tensor[]>), 1, 2);
    expectRows(await (fine[1] as Promise<Tensor[]>), 1, 3);
  });

  it("fails every member with INTERNAL when the output row count is wrong", async () => {
    const dropRow: Responder = () => [rowsTensor("y", 1, 2, 0)];
    const { batcher } = setup({}, { autoRespond: true, responder: dropRow });
    const results = [submitRows(batcher, 1, 0), submitRows(batcher, 1, 1)];
    for (const result of results) {
      const error = await rejectionOf(result);
      expect(error.code).toBe(ErrorCode.Internal);
      expect(error.message).toMatch(/"y" has 1 rows, the batch has 2/);
    }
  });

  it("fails every member with INTERNAL when outputs are missing", async () => {
    const { batcher } = setup({}, { autoRespond: true, responder: () => [] });
    const error = await rejectionOf(submitRows(batcher, 1, 0));
    expect(error.code).toBe(ErrorCode.Internal);
    expect(error.message).toMatch(/0 tensors for the 1 requested/);
  });

  it("fails every member with INTERNAL when an output's data does not match its shape", async () => {
    const truncated: Responder = (inputs) => {
      const x = inputs[0] as Tensor;
      return [{ ...x, name: "y", data: x.data.subarray(4) }];
    };
    const { batcher } = setup({}, { autoRespond: true, responder: truncated });
    const results = [submitRows(batcher, 1, 0), submitRows(batcher, 1, 1)];
    for (const result of results) {
      const error = await rejectionOf(result);
      expect(error.code).toBe(ErrorCode.Internal);
      expect(error.message).toMatch(/^could not split the batch's outputs: tensor "y"/);
    }
  });

  it("fails the members when the executor rejects with no reason at all", async () => {
    const { batcher, executor } = setup();
    const result = submitRows(batcher, 1, 0);
    await settle();
    executor.runs[0]?.reject(undefined);
    expect((await rejectionOf(result)).code).toBe(ErrorCode.Internal);
    expect(batcher.pending).toBe(0);
  });

  it("fails a split request alone with INTERNAL when its chunks' outputs do not join", async () => {
    const model: ModelSignature = {
      inputs: [{ name: "x", datatype: "FP32", shape: [-1, 2] }],
      outputs: [{ name: "y", datatype: "FP32", shape: [-1, -1] }],
    };
    // Each batch answers with as many columns as it has rows.
    const square: Responder = (inputs) => {
      const rows = inputs[0]?.shape[0] ?? 0;
      return [f32("y", [rows, rows], new Array<number>(rows * rows).fill(1))];
    };
    const { batcher } = setup(
      { max_batch_size: 2 },
      { autoRespond: true, responder: square },
      model,
    );
    const split = submitRows(batcher, 3, 0);
    const error = await rejectionOf(split);
    expect(error.code).toBe(ErrorCode.Internal);
    expect(error.message).toMatch(/outputs of the 2 chunks of request \d+ do not join/);
  });

  it("asks once for every output a member wants and gives each member only its own", async () => {
    const model: ModelSignature = {
      inputs: [{ name: "x", datatype: "FP32", shape: [-1, 2] }],
      outputs: [
        { name: "y", datatype: "FP32", shape: [-1, 2] },
        { name: "z", datatype: "FP32", shape: [-1, 2] },
      ],
    };
    const { batcher, executor } = setup({}, { autoRespond: true }, model);
    const onlyZ = batcher.submit({ inputs: [rowsTensor("x", 1, 2, 0)], outputs: ["z"] });
    const all = batcher.submit({ inputs: [rowsTensor("x", 1, 2, 1)] });
    expect((await onlyZ).map((output) => output.name)).toEqual(["z"]);
    expect((await all).map((output) => output.name)).toEqual(["y", "z"]);
    expect(executor.runs.map((run) => run.outputNames)).toEqual([["y", "z"]]);
  });
});

describe("shapes and padding", () => {
  const variable: ModelSignature = {
    inputs: [{ name: "x", datatype: "FP32", shape: [-1, -1] }],
    outputs: [{ name: "y", datatype: "FP32", shape: [-1, -1] }],
  };

  it("batches only requests whose non-batch dimensions agree", async () => {
    const { batcher, executor } = setup({}, { autoRespond: true }, variable);
    const results = [
      submitRows(batcher, 1, 0),
      batcher.submit({ inputs: [rowsTensor("x", 1, 3, 1)] }),
      submitRows(batcher, 1, 2),
    ];
    await settle();
    expect(executor.runs.map((run) => run.inputs[0]?.shape)).toEqual([
      [2, 2],
      [1, 3],
    ]);
    const widths = await Promise.all(results);
    expect(widths.map((outputs) => outputs[0]?.shape)).toEqual([
      [1, 2],
      [1, 3],
      [1, 2],
    ]);
  });

  it("pads a declared axis to the longest in the batch and un-pads the outputs", async () => {
    const { batcher, executor } = setup(
      { padding: { x: { axis: 1, value: -1, outputs: { y: 1 } } } },
      { autoRespond: true },
      variable,
    );
    const short = batcher.submit({ inputs: [f32("x", [1, 2], [1, 2])] });
    const long = batcher.submit({ inputs: [f32("x", [2, 3], [3, 4, 5, 6, 7, 8])] });
    const [shortOut] = await short;
    const [longOut] = await long;
    expect(executor.runs).toHaveLength(1);
    expect(executor.runs[0]?.inputs[0]?.shape).toEqual([3, 3]);
    expect(valuesOf(executor.runs[0]?.inputs[0])).toEqual([1, 2, -1, 3, 4, 5, 6, 7, 8]);
    expect(shortOut?.shape).toEqual([1, 2]);
    expect(valuesOf(shortOut)).toEqual([1, 2]);
    expect(valuesOf(longOut)).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it("pads to max_length when declared and refuses longer requests", async () => {
    const { batcher, executor } = setup(
      { padding: { x: { axis: 1, max_length: 4, outputs: { y: 1 } } } },
      { autoRespond: true },
      variable,
    );
    const fits = batcher.submit({ inputs: [f32("x", [1, 2], [1, 2])] });
    const tooLong = batcher.submit({ inputs: [f32("x", [1, 5], [1, 2, 3, 4, 5])] });
    const error = await rejectionOf(tooLong);
    expect(error.code).toBe(ErrorCode.InvalidArgument);
    expect(error.message).toMatch(
      /tensor "x": length 5 on axis 1 is longer than the padding max_length 4/,
    );
    expect(valuesOf((await fits)[0])).toEqual([1, 2]);
    expect(valuesOf(executor.runs[0]?.inputs[0])).toEqual([1, 2, 0, 0]);
  });
});

describe("without batching (max_batch_size 0)", () => {
  it("runs each request alone with its shape as is", async () => {
    const model: ModelSignature = {
      inputs: [{ name: "x", datatype: "FP32", shape: [2] }],
      outputs: [{ name: "y", datatype: "FP32", shape: [2] }],
    };
    const { batcher, executor } = setup({ max_batch_size: 0 }, { autoRespond: true }, model);
    const results = [1, 2, 3].map((value) =>
      batcher.submit({ inputs: [f32("x", [2], [value, value])] }),
    );
    const outputs = await Promise.all(results);
    expect(executor.runs.map((run) => run.inputs[0]?.shape)).toEqual([[2], [2], [2]]);
    expect(outputs.map((output) => valuesOf(output[0]))).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });
});

describe("drain", () => {
  it("stops accepting, runs queued work without waiting for company, then resolves", async () => {
    const { batcher, executor } = setup({ max_queue_delay_us: 1_000_000 }, { instances: 1 });
    const queued = submitRows(batcher, 1, 0);
    await settle();
    expect(executor.runs).toHaveLength(0);
    const closed = track(batcher.close());
    expect(batcher.close()).toBe(batcher.close());
    const refused = await rejectionOf(submitRows(batcher, 1, 1));
    expect(refused.code).toBe(ErrorCode.Unavailable);
    await settle();
    expect(executor.batchRows).toEqual([1]);
    expect(closed.settled).toBe(false);
    executor.runs[0]?.respond();
    expectRows(await queued, 1, 0);
    await settle();
    expect(closed.settled).toBe(true);
    expect(executor.listenerCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("destroy fails what is queued with UNAVAILABLE and waits only for running batches", async () => {
    const { batcher, executor } = setup({ max_batch_size: 1 }, { instances: 1 });
    const running = submitRows(batcher, 1, 0);
    await settle();
    const queued = submitRows(batcher, 1, 1);
    await settle();
    const closed = track(batcher.destroy());
    expect(batcher.destroy()).toBe(batcher.close());
    const error = await rejectionOf(queued);
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(closed.settled).toBe(false);
    executor.runs[0]?.respond();
    expectRows(await running, 1, 0);
    await settle();
    expect(closed.settled).toBe(true);
    expect(executor.runs).toHaveLength(1);
  });

  it("resolves at once when nothing is pending", async () => {
    const { batcher } = setup();
    await batcher.close();
    expect(batcher.pending).toBe(0);
  });
});

describe("injected clock", () => {
  it("reads time and sets its delay and expiry timers through the given clock", async () => {
    let now = 1_000;
    const timers: { at: number; callback: () => void }[] = [];
    const clock = {
      now: () => now,
      setTimer(callback: () => void, delayMs: number) {
        const timer = { at: now + delayMs, callback };
        timers.push(timer);
        return () => timers.splice(timers.indexOf(timer), 1);
      },
    };
    const advance = async (ms: number) => {
      now += ms;
      for (const timer of timers.filter((candidate) => candidate.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.callback();
      }
      await settle();
    };
    const executor = new FakeExecutor({ autoRespond: true });
    const batcher = createDynamicBatcher({
      signature,
      config: { max_batch_size: 8, max_queue_delay_us: 3_000, default_timeout_us: 1_000 },
      executor,
      clock,
    });
    const expiring = track(submitRows(batcher, 1, 0));
    await settle();
    expect(timers.map((timer) => timer.at).sort()).toEqual([1_001, 1_003]);
    expect(vi.getTimerCount()).toBe(0);
    await advance(1);
    expect((expiring.error as SidecarError).code).toBe(ErrorCode.DeadlineExceeded);
    expect(executor.runs).toHaveLength(0);
    expect(timers).toEqual([]);
  });
});

describe("metrics and statistics", () => {
  it("reports batches, outcomes, queue depth, requests in flight and Triton counters", async () => {
    const { batcher, executor, batches, outcomes, depths, inFlight } = setup(
      { max_queue_delay_us: 2_000 },
      { instances: 1 },
    );
    const ok = [submitRows(batcher, 2, 0), submitRows(batcher, 1, 2)];
    await vi.advanceTimersByTimeAsync(2);
    await vi.advanceTimersByTimeAsync(3);
    // Running: out of the queue, still in flight.
    expect(executor.runs).toHaveLength(1);
    expect([depths.at(-1), inFlight.at(-1)]).toEqual([0, 2]);
    executor.runs[0]?.respond();
    await Promise.all(ok);
    const expired = track(submitRows(batcher, 1, 0, { timeoutUs: 1_000 }));
    await vi.advanceTimersByTimeAsync(1);
    expect(expired.settled).toBe(true);
    expect(batches).toEqual([{ rows: 3, requests: 2, queueTimeMs: 2, computeTimeMs: 3, ok: true }]);
    expect(outcomes.map((event) => event.outcome)).toEqual(["success", "success", "timeout"]);
    expect(outcomes[0]).toEqual({ outcome: "success", rows: 2, queueTimeMs: 2, totalTimeMs: 5 });
    expect(depths).toEqual([1, 2, 0, 1, 0]);
    expect(inFlight).toEqual([1, 2, 1, 0, 1, 0]);
    const statistics = batcher.statistics();
    expect(statistics.inferenceCount).toBe(3);
    expect(statistics.executionCount).toBe(1);
    expect(statistics.success).toEqual({ count: 2, ns: 10_000_000n });
    expect(statistics.queue).toEqual({ count: 2, ns: 4_000_000n });
    expect(statistics.computeInfer).toEqual({ count: 2, ns: 6_000_000n });
    expect(statistics.computeInput).toEqual({ count: 2, ns: 0n });
    expect(statistics.computeOutput).toEqual({ count: 2, ns: 0n });
    expect(statistics.batches).toEqual([
      {
        batchSize: 3,
        computeInput: { count: 1, ns: 0n },
        computeInfer: { count: 1, ns: 3_000_000n },
        computeOutput: { count: 1, ns: 0n },
      },
    ]);
    expect(statistics.fail).toEqual({ count: 1, ns: 1_000_000n });
    expect(statistics.timeoutCount).toBe(1);
  });
});

import { fileURLToPath } from "node:url";
import type { InstanceDevice, ModelLoadRequest, Tensor } from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it } from "vitest";
import {
  FRAUD_FEATURE_COUNT,
  fraudScore,
  syntheticTransaction,
} from "../src/demo-model/fraud-reference.js";
import type * as ExecutorPoolModule from "../src/executor/executor-pool.js";
import type { ExecutorPool } from "../src/executor/executor-pool.js";

// Executors start the built worker entry (dist/instance-worker.js), so these tests use the built
// pool: run the package build first (turbo's test task does). Typed from the source, imported
// by URL so that type-checking does not need a build.
const builtPool = new URL("../dist/executor-pool.js", import.meta.url).href;
const { createExecutorPool } = (await import(builtPool)) as typeof ExecutorPoolModule;

const SIGNATURE = {
  inputs: [{ name: "features", datatype: "FP32", shape: [-1, FRAUD_FEATURE_COUNT] }],
  outputs: [{ name: "fraud_score", datatype: "FP32", shape: [-1, 1] }],
};

const onCpu = (count: number): InstanceDevice[] =>
  Array.from({ length: count }, () => ({ kind: "cpu" }));

const ON_GPU_1: InstanceDevice = { kind: "gpu", cudaDevice: 1, index: 1, uuid: "GPU-test-1" };

function mockRequest(parameters: Record<string, unknown> = {}): ModelLoadRequest {
  return {
    name: "fraud-mock",
    version: "1",
    versionPath: "/nonexistent",
    parameters: { ...SIGNATURE, ...parameters },
  };
}

/** The bundled onnx fraud model with `parameters` as its config's. */
function fraudRequest(parameters: Record<string, unknown>): ModelLoadRequest {
  return {
    name: "fraud",
    version: "1",
    versionPath: fileURLToPath(new URL("../models/fraud/1", import.meta.url)),
    parameters,
  };
}

function features(rows: number): Tensor {
  const values = new Float32Array(rows * FRAUD_FEATURE_COUNT);
  for (let row = 0; row < rows; row++) {
    values.set(syntheticTransaction(row), row * FRAUD_FEATURE_COUNT);
  }
  return {
    name: "features",
    datatype: "FP32",
    shape: [rows, FRAUD_FEATURE_COUNT],
    data: new Uint8Array(values.buffer),
  };
}

function scores(outputs: Tensor[]): Float32Array {
  const data = outputs[0]?.data ?? new Uint8Array();
  return new Float32Array(data.slice().buffer);
}

function capturingLogger() {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    logger: { warn: (m: string) => warnings.push(m), error: (m: string) => errors.push(m) },
  };
}

/** Pools of both executors run every test that does not depend on threads. */
const EXECUTORS = ["worker", "inline"] as const;
type Executor = (typeof EXECUTORS)[number];

function nextIdle(pool: ExecutorPool): Promise<void> {
  return new Promise((resolve) => {
    const stop = pool.onIdle(() => {
      stop();
      resolve();
    });
  });
}

/** Opens pools of one executor for a describe block and closes them after each test. */
function openingPools(executor: Executor) {
  const pools: ExecutorPool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
  });
  return (options: Parameters<typeof createExecutorPool>[0]) => {
    const pool = createExecutorPool({ logger: capturingLogger().logger, executor, ...options });
    pools.push(pool);
    return pool;
  };
}

// Starting a worker thread loads onnxruntime-node into it: seconds on a loaded machine.
const POOL_TEST_TIMEOUT_MS = 30_000;

describe.each(EXECUTORS)(
  "executor pool (%s executor)",
  { timeout: POOL_TEST_TIMEOUT_MS },
  (executor: Executor) => {
    // The largest pool the executor takes.
    const most = executor === "worker" ? 3 : 1;
    const open = openingPools(executor);

    it("loads every instance, then reports the signature and all instances idle", async () => {
      const pool = open({ backend: "mock", request: mockRequest(), devices: onCpu(most) });
      expect(pool.idleCount).toBe(0);
      await expect(pool.ready).resolves.toEqual(SIGNATURE);
      expect(pool.size).toBe(most);
      expect(pool.idleCount).toBe(most);
    });

    it("runs the onnx fraud model with the reference's results", async () => {
      const pool = open({
        backend: "onnx",
        request: fraudRequest({ execution_providers: ["cpu"] }),
        devices: onCpu(1),
      });
      await expect(pool.ready).resolves.toEqual(SIGNATURE);
      const input = features(5);
      const expected = fraudScore(new Float32Array(input.data.slice().buffer), 5);
      const actual = scores(await pool.run([input], ["fraud_score"]));
      expect(actual).toHaveLength(5);
      actual.forEach((score, row) => {
        expect(score).toBeCloseTo(expected[row] ?? Number.NaN, 5);
      });
    });

    it("forwards a load warning to the logger", async () => {
      const { warnings, logger } = capturingLogger();
      const pool = open({
        backend: "onnx",
        request: fraudRequest({ execution_providers: ["cuda", "cpu"], allow_cpu_fallback: true }),
        // This machine has no CUDA provider library, so the session on "GPU 1" falls back.
        devices: [ON_GPU_1],
        logger,
      });
      await pool.ready;
      expect(warnings).toEqual([
        expect.stringMatching(
          /instance 0 \(GPU 1, GPU-test-1\) .* on GPU 1: .*allow_cpu_fallback is true/,
        ),
      ]);
    });

    it("rejects ready with the load error and closes the pool", async () => {
      const pool = open({
        backend: "onnx",
        request: fraudRequest({ execution_providers: ["cuda", "cpu"] }),
        devices: Array.from({ length: most }, () => ON_GPU_1),
      });
      await expect(pool.ready).rejects.toMatchObject({
        code: "FAILED_PRECONDITION",
        message: expect.stringMatching(/cuda were requested but cannot load/),
      });
      await expect(pool.run([features(1)], ["fraud_score"])).rejects.toMatchObject({
        code: "UNAVAILABLE",
      });
    });

    it("signals onIdle when an instance finishes, until unsubscribed", async () => {
      const pool = open({ backend: "mock", request: mockRequest(), devices: onCpu(1) });
      await pool.ready;
      let signals = 0;
      const stop = pool.onIdle(() => signals++);
      await pool.run([features(2)], ["fraud_score"]);
      expect(signals).toBe(1);
      expect(pool.idleCount).toBe(1);
      stop();
      await pool.run([features(2)], ["fraud_score"]);
      expect(signals).toBe(1);
    });

    it("passes a batch's error through with its code and stays usable", async () => {
      const pool = open({ backend: "mock", request: mockRequest(), devices: onCpu(1) });
      await pool.ready;
      await expect(pool.run([features(1)], ["probability"])).rejects.toMatchObject({
        name: "SidecarError",
        code: "INVALID_ARGUMENT",
        message: expect.stringMatching(/unknown output "probability"/),
      });
      expect(pool.idleCount).toBe(1);
      await expect(pool.run([features(1)], ["fraud_score"])).resolves.toHaveLength(1);
    });

    it("fails a batch of a detached buffer and stays usable", async () => {
      const pool = open({ backend: "mock", request: mockRequest(), devices: onCpu(1) });
      await pool.ready;
      const input = features(1);
      const buffer = input.data.buffer as ArrayBuffer;
      structuredClone(buffer, { transfer: [buffer] });
      await expect(pool.run([input], ["fraud_score"])).rejects.toMatchObject({
        name: "SidecarError",
      });
      await expect(pool.run([features(1)], ["fraud_score"])).resolves.toHaveLength(1);
    });

    it("lets a running batch finish on close, then refuses new batches", async () => {
      const pool = open({
        backend: "mock",
        request: mockRequest({ fixed_latency_us: 300_000 }),
        devices: onCpu(1),
      });
      await pool.ready;
      const running = pool.run([features(4)], ["fraud_score"]);
      const closed = pool.close();
      expect(pool.close()).toBe(closed);
      await expect(pool.run([features(1)], ["fraud_score"])).rejects.toMatchObject({
        code: "UNAVAILABLE",
      });
      expect(scores(await running)).toHaveLength(4);
      await closed;
      expect(pool.idleCount).toBe(0);
    });

    it("copies a view into a larger buffer, leaving that buffer usable", async () => {
      const pool = open({ backend: "mock", request: mockRequest(), devices: onCpu(1) });
      await pool.ready;
      const whole = features(4);
      const firstTwoRows = {
        ...whole,
        shape: [2, FRAUD_FEATURE_COUNT],
        data: whole.data.subarray(0, 2 * FRAUD_FEATURE_COUNT * 4),
      };
      const before = whole.data.slice();
      const fromView = scores(await pool.run([firstTwoRows], ["fraud_score"]));
      expect(whole.data).toEqual(before);
      const fromCopy = scores(
        await pool.run(
          [{ ...firstTwoRows, data: before.slice(0, 2 * FRAUD_FEATURE_COUNT * 4) }],
          ["fraud_score"],
        ),
      );
      expect(fromView).toEqual(fromCopy);
    });

    it("refuses a pool without instances", () => {
      expect(() => open({ backend: "mock", request: mockRequest(), devices: onCpu(0) })).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT" }),
      );
    });
  },
);

describe("executor pool, worker threads", { timeout: POOL_TEST_TIMEOUT_MS }, () => {
  const open = openingPools("worker");

  it("runs batches on several instances at once", async () => {
    const ran: number[] = [];
    const pool = open({
      backend: "mock",
      request: mockRequest({ fixed_latency_us: 500_000 }),
      devices: onCpu(2),
      onInstanceBatch: (event) => ran.push(event.instance),
    });
    await pool.ready;
    const both = [
      pool.run([features(1)], ["fraud_score"]),
      pool.run([features(1)], ["fraud_score"]),
    ];
    // Both batches are out on an instance each, so a third finds none idle.
    expect(pool.idleCount).toBe(0);
    await expect(pool.run([features(1)], ["fraud_score"])).rejects.toMatchObject({
      code: "RESOURCE_EXHAUSTED",
    });
    await Promise.all(both);
    expect(ran.sort()).toEqual([0, 1]);
    expect(pool.idleCount).toBe(2);
  });

  it("keeps the main event loop running while a batch blocks its worker for 1 s", async () => {
    const pool = open({
      backend: "mock",
      request: mockRequest({ fixed_latency_us: 1_000_000 }),
      devices: onCpu(1),
    });
    await pool.ready;
    let ticks = 0;
    const interval = setInterval(() => ticks++, 20);
    const started = performance.now();
    await pool.run([features(1)], ["fraud_score"]);
    clearInterval(interval);
    // The blocking sleep really happened in the worker...
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    // ...and ~50 ticks of a 20 ms interval fired meanwhile; a blocked loop would allow at most one.
    expect(ticks).toBeGreaterThanOrEqual(10);
  });

  it("rejects the batch of a crashed instance with INTERNAL and restarts the instance", async () => {
    const { errors, logger } = capturingLogger();
    const pool = open({
      backend: "mock",
      request: mockRequest({ crash_on_rows: 3 }),
      devices: onCpu(1),
      logger,
    });
    await pool.ready;
    const restarted = nextIdle(pool);
    await expect(pool.run([features(3)], ["fraud_score"])).rejects.toMatchObject({
      code: "INTERNAL",
      message: expect.stringMatching(/instance 0 .* ended unexpectedly \(exit code 70\)/),
    });
    expect(pool.idleCount).toBe(0);
    await restarted;
    expect(errors).toEqual([expect.stringMatching(/restarting it/)]);
    expect(scores(await pool.run([features(2)], ["fraud_score"]))).toHaveLength(2);
  });

  it("transfers a batch's buffers instead of copying them", async () => {
    const pool = open({ backend: "mock", request: mockRequest(), devices: onCpu(1) });
    await pool.ready;
    const input = features(2);
    await pool.run([input], ["fraud_score"]);
    expect(input.data.buffer.byteLength).toBe(0);
  });
});

describe("executor pool, inline on the calling thread", () => {
  const open = openingPools("inline");

  it("reads a batch's inputs where they are, without transferring them", async () => {
    const pool = open({ backend: "mock", request: mockRequest(), devices: onCpu(1) });
    await pool.ready;
    const input = features(2);
    const bytes = input.data.slice();
    await pool.run([input], ["fraud_score"]);
    expect(input.data).toEqual(bytes);
  });

  it("refuses more than one instance, since batches take turns on the event loop", () => {
    expect(() => open({ backend: "mock", request: mockRequest(), devices: onCpu(2) })).toThrow(
      expect.objectContaining({
        code: "INVALID_ARGUMENT",
        message: expect.stringMatching(/inline executor runs one instance .* got 2/),
      }),
    );
  });

  it("refuses a mock that would crash the thread, which inline is the whole sidecar", async () => {
    const pool = open({
      backend: "mock",
      request: mockRequest({ crash_on_rows: 3 }),
      devices: onCpu(1),
    });
    await expect(pool.ready).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/crash_on_rows ends the thread/),
    });
  });

  it("closes while the model is still loading, then refuses batches", async () => {
    const pool = open({ backend: "mock", request: mockRequest(), devices: onCpu(1) });
    await pool.close();
    await expect(pool.ready).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await expect(pool.run([features(1)], ["fraud_score"])).rejects.toMatchObject({
      code: "UNAVAILABLE",
    });
  });
});

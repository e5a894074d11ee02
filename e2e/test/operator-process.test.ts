import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  asyncInference,
  createSidecarClient,
  type SidecarClient,
} from "@gpu-sidecar/async-inference";
import {
  decodeTensorValues,
  ErrorCode,
  encodeTensor,
  SidecarError,
} from "@gpu-sidecar/sidecar-core";
import {
  FRAUD_FEATURE_COUNT,
  fraudScore,
  syntheticTransaction,
} from "@gpu-sidecar/sidecar-server/demo-model";
import {
  type SpawnedSidecarAddresses,
  spawnSidecar,
  stopAllSidecars,
} from "@gpu-sidecar/sidecar-server/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// The operator and the client against the real gpu-sidecar process (issue #5).
const dir = mkdtempSync(join(tmpdir(), "operator-process-"));
let client: SidecarClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
});
afterAll(async () => {
  await stopAllSidecars(1_000);
  rmSync(dir, { recursive: true, force: true });
});

function connect(sidecar: SpawnedSidecarAddresses): SidecarClient {
  client = createSidecarClient({
    endpoints: [String(sidecar.unixUrl)],
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
  });
  return client;
}

/** Polls `read` until `done` holds of its value; fails with the last value after `timeoutMs`. */
async function poll<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what}: not reached in ${timeoutMs} ms; last ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface ModelStats {
  readonly inference_count: number;
  readonly execution_count: number;
  readonly inference_stats: { readonly success: { readonly count: number } };
}

/** Triton's statistics of the model's (only) version, over REST. */
async function modelStats(sidecar: SpawnedSidecarAddresses, model: string): Promise<ModelStats> {
  const response = await fetch(`${String(sidecar.httpUrl)}/v2/models/${model}/stats`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { model_stats: ModelStats[] };
  expect(body.model_stats).toHaveLength(1);
  return body.model_stats[0] ?? expect.unreachable();
}

/** The sum of a Prometheus series' samples whose labels include every one of `labels`. */
async function metric(
  sidecar: SpawnedSidecarAddresses,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const response = await fetch(String(sidecar.metricsUrl));
  expect(response.status).toBe(200);
  const text = await response.text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const close = line.lastIndexOf("}");
    const labelText = close === -1 ? "" : line.slice(name.length + 1, close);
    if (!wanted.every((label) => labelText.split(",").includes(label))) continue;
    sum += Number(
      line
        .slice(close + 1)
        .trim()
        .split(" ")[0],
    );
  }
  return sum;
}

interface Transaction {
  readonly id: number;
  readonly features: Float32Array;
}

async function* transactions(count: number): AsyncGenerator<Transaction> {
  for (let id = 0; id < count; id++) yield { id, features: syntheticTransaction(id) };
}

function encodeTransaction(tx: Transaction) {
  return [
    encodeTensor({
      name: "features",
      datatype: "FP32",
      shape: [1, FRAUD_FEATURE_COUNT],
      values: tx.features,
    }),
  ];
}

describe("the operator against a running sidecar process", { timeout: 60_000 }, () => {
  describe("the ONNX fraud model", () => {
    let sidecar: SpawnedSidecarAddresses;
    beforeAll(async () => {
      sidecar = await spawnSidecar({ uds: join(dir, "fraud.sock") }).serving;
    }, 30_000);
    afterAll(() => stopAllSidecars(1_000));

    const RECORDS = 500;

    it.each([
      ["ordered", true],
      ["unordered", false],
    ])(
      "coalescing returns each record its own result (checked against the JS reference model), %s",
      async (_, ordered) => {
        const c = connect(sidecar);
        const before = await modelStats(sidecar, "fraud");
        let calls = 0;
        const results = asyncInference(transactions(RECORDS), {
          infer: (inputs, context) => {
            calls++;
            return c.infer("fraud", inputs, context);
          },
          encode: encodeTransaction,
          decode: (outputs, tx) => {
            const [score] = outputs;
            if (score === undefined) throw new Error("no output");
            expect(score.name).toBe("fraud_score");
            expect(score.shape).toEqual([1, 1]);
            return {
              id: tx.id,
              features: tx.features,
              score: decodeTensorValues({ ...score, datatype: "FP32" })[0],
            };
          },
          capacity: 100,
          ordered,
          batch: { maxRows: 16, maxDelayMs: 2 },
          modelName: "fraud",
        });
        const received: { id: number; features: Float32Array; score: number | undefined }[] = [];
        for await (const result of results) received.push(result);

        expect(received).toHaveLength(RECORDS);
        const ids = received.map((r) => r.id);
        if (ordered) expect(ids).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
        else
          expect([...ids].sort((a, b) => a - b)).toEqual(
            Array.from({ length: RECORDS }, (_, i) => i),
          );
        for (const { id, features, score } of received) {
          const expected = fraudScore(features, 1)[0] ?? Number.NaN;
          if (score === undefined || !(Math.abs(score - expected) <= 1e-5)) {
            expect.fail(`record ${id}: score ${score}, the reference model says ${expected}`);
          }
        }
        // The operator coalesced: fewer calls than records.
        expect(calls).toBeLessThan(RECORDS);

        // The sidecar ran every row exactly once, in batches of more than one row on average.
        const after = await poll(
          () => modelStats(sidecar, "fraud"),
          (stats) => stats.inference_count - before.inference_count >= RECORDS,
          "rows counted by the sidecar",
        );
        const rows = after.inference_count - before.inference_count;
        const batches = after.execution_count - before.execution_count;
        const requests = after.inference_stats.success.count - before.inference_stats.success.count;
        expect(rows).toBe(RECORDS);
        expect(requests).toBe(calls);
        expect(batches).toBeGreaterThan(0);
        expect(rows / batches).toBeGreaterThan(1);
      },
    );
  });

  describe("a slow mock model", () => {
    const LATENCY_US = 500_000;
    let sidecar: SpawnedSidecarAddresses;
    beforeAll(async () => {
      const repository = join(dir, "slow-repo");
      mkdirSync(join(repository, "slow", "1"), { recursive: true });
      writeFileSync(
        join(repository, "slow", "config.json"),
        JSON.stringify({
          backend: "mock",
          max_batch_size: 1,
          instances: 1,
          dynamic_batching: { max_queue_delay_us: 0, max_queue_size: 10_000 },
          mock: {
            inputs: [{ name: "features", datatype: "FP32", shape: [-1, FRAUD_FEATURE_COUNT] }],
            outputs: [{ name: "fraud_score", datatype: "FP32", shape: [-1, 1] }],
            fixed_latency_us: LATENCY_US,
          },
        }),
      );
      sidecar = await spawnSidecar({
        uds: join(dir, "slow.sock"),
        modelRepository: repository,
        args: ["--metrics-port", "0"],
      }).serving;
    }, 30_000);
    afterAll(() => stopAllSidecars(1_000));

    it("abort cancels in-flight calls and the sidecar's cancelled counter rises", async () => {
      const c = connect(sidecar);
      const slow = { model: "slow" };
      const cancelledSeries = { model: "slow", outcome: "cancelled" };
      expect(await metric(sidecar, "gpu_sidecar_requests_total", cancelledSeries)).toBe(0);
      const controller = new AbortController();
      const CAPACITY = 20;
      let sent = 0;
      const results = asyncInference(transactions(1_000), {
        infer: (inputs, context) => {
          sent++;
          return c.infer("slow", inputs, context);
        },
        encode: encodeTransaction,
        decode: (outputs, tx) => ({ id: tx.id, outputs }),
        capacity: CAPACITY,
        signal: controller.signal,
        modelName: "slow",
      });
      const received: unknown[] = [];
      const ended = (async () => {
        for await (const result of results) received.push(result);
      })().then(
        () => ({ error: undefined, completed: true }),
        (error: unknown) => ({ error, completed: false }),
      );

      // Requests wait in the sidecar's queue behind the one running: a single instance, one
      // row per batch, half a second per batch.
      await poll(
        () => metric(sidecar, "gpu_sidecar_pending_requests", slow),
        (pending) => pending >= CAPACITY / 2,
        "requests pending in the sidecar",
      );
      controller.abort(new Error("test stops the stream"));

      const end = await ended;
      expect(end.completed).toBe(false);
      expect(end.error).toBeInstanceOf(SidecarError);
      expect(end.error).toMatchObject({ code: ErrorCode.Cancelled });
      const sentAtAbort = sent;
      expect(sentAtAbort).toBeGreaterThan(CAPACITY / 2);

      // The sidecar saw the calls go away: they left its queue as cancelled.
      await poll(
        () => metric(sidecar, "gpu_sidecar_requests_total", cancelledSeries),
        (count) => count > 0,
        "cancelled requests counted by the sidecar",
      );
      await poll(
        () => metric(sidecar, "gpu_sidecar_pending_requests", slow),
        (pending) => pending === 0,
        "the sidecar's queue emptied",
      );
      // One more request, after every earlier one (FIFO, one instance): once it is answered, every
      // batch the sidecar ran for the stream is counted, and the sidecar still serves.
      const probe = await c.infer(
        "slow",
        encodeTransaction({ id: -1, features: syntheticTransaction(0) }),
      );
      expect(probe[0]?.shape).toEqual([1, 1]);
      const batches = await metric(sidecar, "gpu_sidecar_batches_total", slow);
      const stats = await modelStats(sidecar, "slow");
      expect(stats.execution_count).toBe(batches);
      // The cancelled calls never ran: far fewer batches (the probe's aside) than calls sent.
      expect(sent).toBe(sentAtAbort);
      expect(batches - 1).toBeLessThan(sent / 2);
      expect(received.length).toBeLessThan(sent / 2);
    });
  });
});

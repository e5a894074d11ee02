import { cpSync } from "node:fs";
import { Agent } from "node:http";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildBinaryExtensionBody, parseBinaryExtensionBody } from "@gpu-sidecar/sidecar-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fraudScore } from "../src/demo-model/fraud-reference.js";
import type { Sidecar } from "../src/index.js";
import {
  bytesOf,
  expectScores,
  FIXTURE_REPO,
  float32s,
  fraudFeatures,
  http,
  PACKAGE_MODELS,
  portOf,
  postJson,
  start,
  tempDir,
  watchQueues,
} from "./server-harness.js";

const LIMIT = 64 * 1024;

interface RestOutput {
  name: string;
  datatype: string;
  shape: number[];
  data?: number[];
  parameters?: { binary_data_size?: number };
}

describe("REST v2 over the demo repository (ONNX fraud)", () => {
  let sidecar: Sidecar;
  let port: number;

  beforeAll(async () => {
    sidecar = await start({ repository: PACKAGE_MODELS, maxRequestBytes: LIMIT });
    port = portOf(sidecar.addresses.http);
  });
  afterAll(() => sidecar?.close());

  it("answers health, server and model metadata", async () => {
    expect((await http(port, "/v2/health/live")).status).toBe(200);
    expect((await http(port, "/v2/health/ready")).status).toBe(200);
    expect((await http(port, "/v2/models/fraud/ready")).status).toBe(200);
    expect((await http(port, "/v2/models/fraud/versions/latest/ready")).status).toBe(200);
    expect((await http(port, "/v2/models/fraud/versions/7/ready")).status).toBe(400);
    expect((await http(port, "/v2")).json()).toMatchObject({
      name: "gpu-sidecar",
      extensions: expect.arrayContaining(["binary_tensor_data", "model_repository"]),
    });
    expect((await http(port, "/v2/models/fraud")).json()).toEqual({
      name: "fraud",
      versions: ["1"],
      platform: "onnxruntime_onnx",
      inputs: [{ name: "features", datatype: "FP32", shape: [-1, 16] }],
      outputs: [{ name: "fraud_score", datatype: "FP32", shape: [-1, 1] }],
    });
  });

  it("scores a Flink row that carries 'priority'='10' on a model without priority levels (Triton: the default level)", async () => {
    const features = fraudFeatures(1, 7);
    const answer = await postJson(port, "/v2/models/fraud/versions/latest/infer", {
      inputs: [{ name: "FEATURES", shape: [1, 16], datatype: "FP32", data: Array.from(features) }],
      parameters: { priority: 10 },
    });
    expect(answer.status).toBe(200);
    const [output] = (answer.json() as { outputs: RestOutput[] }).outputs;
    expect(output?.data?.[0]).toBeCloseTo(fraudScore(features, 1)[0] ?? Number.NaN, 6);
    const zero = await postJson(port, "/v2/models/fraud/infer", {
      inputs: [{ name: "features", shape: [1, 16], datatype: "FP32", data: Array.from(features) }],
      parameters: { priority: 0 },
    });
    expect(zero.status).toBe(200);
    const negative = await postJson(port, "/v2/models/fraud/infer", {
      inputs: [{ name: "features", shape: [1, 16], datatype: "FP32", data: Array.from(features) }],
      parameters: { priority: -1 },
    });
    expect(negative.status).toBe(400);
    expect(negative.json()).toEqual({
      error: 'parameter "priority" is -1, expected a non-negative integer',
    });
  });

  it("answers GET /v2/models/{m}[/versions/{v}]/config in Triton's ModelConfig JSON", async () => {
    const answer = await http(port, "/v2/models/fraud/config");
    expect(answer.status).toBe(200);
    const config = answer.json() as Record<string, unknown>;
    expect(config).toMatchObject({
      name: "fraud",
      platform: "onnxruntime_onnx",
      backend: "onnxruntime",
      version_policy: { latest: { num_versions: 1 } },
      max_batch_size: 64,
      input: [{ name: "features", data_type: "TYPE_FP32", format: "FORMAT_NONE", dims: [16] }],
      output: [{ name: "fraud_score", data_type: "TYPE_FP32", dims: [1] }],
      dynamic_batching: {
        preferred_batch_size: [16, 32],
        max_queue_delay_microseconds: 0,
        priority_levels: 1,
        default_priority_level: 1,
        default_queue_policy: {
          timeout_action: "REJECT",
          default_timeout_microseconds: 0,
          allow_timeout_override: true,
          max_queue_size: 4096,
        },
      },
      instance_group: [{ name: "fraud_0", kind: "KIND_CPU", count: 1, gpus: [] }],
      default_model_filename: "model.onnx",
      parameters: {},
    });
    expect((await http(port, "/v2/models/fraud/versions/1/config")).json()).toEqual(config);
    expect((await http(port, "/v2/models/fraud/versions/latest/config")).json()).toEqual(config);
    expect((await http(port, "/v2/models/nope/config")).status).toBe(404);
  });

  it("accepts Flink's Triton provider request unchanged: version latest, upper-cased names, flat data", async () => {
    const features = fraudFeatures(1, 42);
    const answer = await postJson(port, "/v2/models/fraud/versions/latest/infer", {
      inputs: [{ name: "FEATURES", shape: [1, 16], datatype: "FP32", data: Array.from(features) }],
    });
    expect(answer.status).toBe(200);
    const body = answer.json() as {
      model_name: string;
      model_version: string;
      outputs: RestOutput[];
    };
    expect(body.model_name).toBe("fraud");
    expect(body.model_version).toBe("1");
    expect(body.outputs).toHaveLength(1);
    const [output] = body.outputs;
    expect(output?.name).toBe("fraud_score");
    expect(output?.shape).toEqual([1, 1]);
    expect(output?.data?.[0]).toBeCloseTo(fraudScore(features, 1)[0] ?? Number.NaN, 6);
  });

  it("takes nested data and echoes the id", async () => {
    const features = fraudFeatures(2, 7);
    const rows = [Array.from(features.subarray(0, 16)), Array.from(features.subarray(16))];
    const answer = await postJson(port, "/v2/models/fraud/infer", {
      id: "req-9",
      inputs: [{ name: "features", shape: [2, 16], datatype: "FP32", data: rows }],
    });
    expect(answer.status).toBe(200);
    const body = answer.json() as { id: string; outputs: RestOutput[] };
    expect(body.id).toBe("req-9");
    expectScores(body.outputs[0]?.data ?? [], fraudScore(features, 2));
  });

  it("reads and writes the binary-data extension", async () => {
    const features = fraudFeatures(3, 100);
    const { body, headerLength } = buildBinaryExtensionBody(
      {
        inputs: [
          {
            name: "features",
            shape: [3, 16],
            datatype: "FP32",
            parameters: { binary_data_size: features.byteLength },
          } as never,
        ],
        outputs: [{ name: "fraud_score", parameters: { binary_data: true } }],
      },
      [bytesOf(features)],
    );
    const answer = await http(port, "/v2/models/fraud/infer", {
      body,
      headers: {
        "Content-Type": "application/octet-stream",
        "Inference-Header-Content-Length": headerLength,
      },
    });
    expect(answer.status).toBe(200);
    const length = Number(answer.headers["inference-header-content-length"]);
    const parsed = parseBinaryExtensionBody(answer.body, length);
    const outputs = parsed.header.outputs as RestOutput[];
    expect(outputs[0]).toMatchObject({
      name: "fraud_score",
      shape: [3, 1],
      parameters: { binary_data_size: 12 },
    });
    expectScores(float32s(parsed.outputData[0] as Uint8Array), fraudScore(features, 3));
  });

  it("inflates a gzip body", async () => {
    const features = fraudFeatures(1, 5);
    const json = JSON.stringify({
      inputs: [{ name: "FEATURES", shape: [1, 16], datatype: "FP32", data: Array.from(features) }],
    });
    const answer = await http(port, "/v2/models/fraud/versions/1/infer", {
      body: gzipSync(json),
      headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" },
    });
    expect(answer.status).toBe(200);
    const body = answer.json() as { outputs: RestOutput[] };
    expect(body.outputs[0]?.data?.[0]).toBeCloseTo(fraudScore(features, 1)[0] ?? Number.NaN, 6);
  });

  it("answers errors as {error} with the mapped status, naming the offending tensor", async () => {
    const unknown = await postJson(port, "/v2/models/nope/infer", { inputs: [] });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toEqual({ error: expect.stringContaining('"nope"') });

    const badShape = await postJson(port, "/v2/models/fraud/infer", {
      inputs: [{ name: "features", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }],
    });
    expect(badShape.status).toBe(400);
    expect((badShape.json() as { error: string }).error).toMatch(/"features".*dimension 1 is 3/);

    const badType = await postJson(port, "/v2/models/fraud/infer", {
      inputs: [{ name: "features", shape: [1, 16], datatype: "FP32", data: ["x"] }],
    });
    expect(badType.status).toBe(400);
    expect((badType.json() as { error: string }).error).toContain("features");

    const notJson = await http(port, "/v2/models/fraud/infer", { body: "{oops" });
    expect(notJson.status).toBe(400);
    expect((notJson.json() as { error: string }).error).toContain("not valid JSON");

    const pathEscape = await http(port, "/v2/models/..%2F..%2Fetc/infer", { body: "{}" });
    expect(pathEscape.status).toBe(400);
    expect((pathEscape.json() as { error: string }).error).toContain("invalid model name");

    expect((await http(port, "/v2/models/fraud/infer")).status).toBe(405);
    expect((await http(port, "/v2/nothing")).status).toBe(404);

    const modeNone = await http(port, "/v2/repository/models/fraud/unload", { body: "" });
    expect(modeNone.status).toBe(400);
    expect((modeNone.json() as { error: string }).error).toContain("--model-control-mode explicit");
  });

  it("refuses an oversize body with 413 and keeps the connection usable", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const features = fraudFeatures(1, 1);
      const small = {
        inputs: [
          { name: "features", shape: [1, 16], datatype: "FP32", data: Array.from(features) },
        ],
      };
      expect((await postJson(port, "/v2/models/fraud/infer", small, { agent })).status).toBe(200);

      const rows = Math.ceil(LIMIT / 16 / 4) + 1;
      const big = {
        inputs: [
          {
            name: "features",
            shape: [rows, 16],
            datatype: "FP32",
            data: Array.from(fraudFeatures(rows)),
          },
        ],
      };
      const refused = await postJson(port, "/v2/models/fraud/infer", big, { agent });
      expect(refused.status).toBe(413);
      expect((refused.json() as { error: string }).error).toContain(`${LIMIT} bytes`);

      // Chunked (no Content-Length): the limit is found while reading.
      const chunked = await http(port, "/v2/models/fraud/infer", {
        agent,
        body: Buffer.alloc(LIMIT + 1, 32),
        headers: { "Transfer-Encoding": "chunked" },
      });
      expect(chunked.status).toBe(413);

      const after = await postJson(port, "/v2/models/fraud/infer", small, { agent });
      expect(after.status).toBe(200);
      expect(after.reusedSocket).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it("applies the limit to the inflated size of a gzip body", async () => {
    const bomb = gzipSync(Buffer.alloc(LIMIT * 4, 32));
    expect(bomb.length).toBeLessThan(LIMIT);
    const answer = await http(port, "/v2/models/fraud/infer", {
      body: bomb,
      headers: { "Content-Encoding": "gzip" },
    });
    expect(answer.status).toBe(413);
    expect((answer.json() as { error: string }).error).toContain("once decompressed");
  });

  it("reports statistics with rows and batches", async () => {
    const answer = await http(port, "/v2/models/fraud/stats");
    expect(answer.status).toBe(200);
    const [stats] = (answer.json() as { model_stats: Record<string, unknown>[] }).model_stats;
    expect(stats).toMatchObject({ name: "fraud", version: "1" });
    expect(stats?.inference_count).toBeGreaterThan(0);
    expect(stats?.execution_count).toBeGreaterThan(0);
    expect(stats?.last_inference).toBeGreaterThan(0);
  });
});

describe("REST statistics", () => {
  let sidecar: Sidecar;
  let port: number;

  beforeAll(async () => {
    sidecar = await start({ repository: FIXTURE_REPO });
    port = portOf(sidecar.addresses.http);
  });
  afterAll(() => sidecar?.close());

  interface Duration {
    count: number;
    ns: number;
  }
  interface BatchStats {
    batch_size: number;
    compute_input: Duration;
    compute_infer: Duration;
    compute_output: Duration;
  }

  it("fills compute_input, compute_output and batch_stats per batch size, as Triton does", async () => {
    const row = [1, 2, 3, 4];
    for (const rows of [1, 1, 2, 1]) {
      const answer = await postJson(port, "/v2/models/twin/infer", {
        inputs: [
          {
            name: "x",
            shape: [rows, 4],
            datatype: "FP32",
            data: row.concat(rows === 2 ? row : []),
          },
        ],
      });
      expect(answer.status).toBe(200);
    }
    const [stats] = (
      (await http(port, "/v2/models/twin/stats")).json() as {
        model_stats: { inference_stats: Record<string, Duration>; batch_stats: BatchStats[] }[];
      }
    ).model_stats;
    const inference = stats?.inference_stats ?? {};
    const batches = stats?.batch_stats ?? [];
    expect(batches.map((batch) => [batch.batch_size, batch.compute_infer.count])).toEqual([
      [1, 3],
      [2, 1],
    ]);
    for (const phase of ["compute_input", "compute_infer", "compute_output"] as const) {
      // One request per batch here, so the per-request sums equal the per-batch ones.
      expect(inference[phase]?.count).toBe(4);
      expect(inference[phase]?.ns).toBeGreaterThan(0);
      expect(batches.reduce((sum, batch) => sum + batch[phase].ns, 0)).toBe(inference[phase]?.ns);
      for (const batch of batches) expect(batch[phase].count).toBe(batch.batch_size === 1 ? 3 : 1);
    }
  });
});

describe("REST v2 over mock models", () => {
  let sidecar: Sidecar;
  let port: number;

  const queues = watchQueues();

  beforeAll(async () => {
    sidecar = await start({ repository: FIXTURE_REPO, metrics: queues.metrics });
    port = portOf(sidecar.addresses.http);
  });
  afterAll(() => sidecar?.close());

  const x = { name: "x", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] };

  it("returns exactly the requested outputs, in the requested order", async () => {
    const all = await postJson(port, "/v2/models/twin/infer", { inputs: [x] });
    expect((all.json() as { outputs: RestOutput[] }).outputs.map((o) => o.name)).toEqual([
      "a",
      "b",
    ]);
    const onlyB = await postJson(port, "/v2/models/twin/infer", {
      inputs: [x],
      outputs: [{ name: "b" }],
    });
    const outputs = (onlyB.json() as { outputs: RestOutput[] }).outputs;
    expect(outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([["b", "FP64", [1, 2]]]);
    const unknown = await postJson(port, "/v2/models/twin/infer", {
      inputs: [x],
      outputs: [{ name: "c" }],
    });
    expect(unknown.status).toBe(400);
  });

  it("bounds error bodies that echo huge input, as grpc-message is bounded, and still says what was wrong", async () => {
    const huge = "n".repeat(70_000);
    const answers = [
      await postJson(port, "/v2/models/twin/infer", { inputs: [{ ...x, name: huge }] }),
      await postJson(port, "/v2/models/twin/infer", { inputs: [x], outputs: [{ name: huge }] }),
      await postJson(port, "/v2/models/twin/infer", {
        inputs: [{ ...x, shape: Array.from({ length: 20_000 }, () => 1) }],
      }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      const { error } = answer.json() as { error: string };
      expect(answer.body.byteLength).toBeLessThan(1_000);
      expect(error).toContain("characters left out");
    }
    // The end of the message still says what was wrong.
    const errors = answers.map((answer) => (answer.json() as { error: string }).error);
    expect(errors[0]).toMatch(/nnnn": is not an input of the model, expected one of "x"$/);
    expect(errors[1]).toMatch(/nnnn.*output/);
    expect(errors[2]).toMatch(/shape/);
  });

  it("cancels a queued request when its HTTP client goes away", async () => {
    const before = (await http(port, "/v2/models/slow/stats")).json() as {
      model_stats: { inference_count: number; inference_stats: { fail: { count: number } } }[];
    };
    const body = { inputs: [x] };
    // The first request occupies the only instance for 300 ms; the second waits in the queue.
    const dequeued = queues.of("slow").dequeued;
    const first = postJson(port, "/v2/models/slow/infer", body);
    await vi.waitUntil(() => queues.of("slow").dequeued > dequeued, { timeout: 5_000 });
    const abort = new AbortController();
    const second = postJson(port, "/v2/models/slow/infer", body, { signal: abort.signal });
    await vi.waitUntil(() => queues.of("slow").depth === 1, { timeout: 5_000 });
    abort.abort();
    await expect(second).rejects.toThrow();
    expect((await first).status).toBe(200);
    const stats = async () =>
      ((await http(port, "/v2/models/slow/stats")).json() as typeof before).model_stats[0];
    // The server learns of the abort when the socket closes; the failure is counted then.
    let now = await stats();
    await vi.waitUntil(
      async () => {
        now = await stats();
        return (
          (now?.inference_stats.fail.count ?? 0) >
          (before.model_stats[0]?.inference_stats.fail.count ?? 0)
        );
      },
      { timeout: 5_000 },
    );
    const was = before.model_stats[0];
    // Only the first request ran; the cancelled one left the queue and counts as failed.
    expect((now?.inference_count ?? 0) - (was?.inference_count ?? 0)).toBe(1);
    expect((now?.inference_stats.fail.count ?? 0) - (was?.inference_stats.fail.count ?? 0)).toBe(1);
  });
});

describe("REST v2 with a bearer token", () => {
  let sidecar: Sidecar;
  let port: number;

  beforeAll(async () => {
    sidecar = await start({ repository: FIXTURE_REPO, bearerToken: "s3cret" });
    port = portOf(sidecar.addresses.http);
  });
  afterAll(() => sidecar?.close());

  it("requires the token everywhere but the health endpoints", async () => {
    const body = { inputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }] };
    expect((await http(port, "/v2/health/live")).status).toBe(200);
    expect((await http(port, "/v2/health/ready")).status).toBe(200);
    const refused = await postJson(port, "/v2/models/twin/infer", body);
    expect(refused.status).toBe(401);
    expect(refused.headers["www-authenticate"]).toContain("Bearer");
    const wrong = await postJson(port, "/v2/models/twin/infer", body, {
      headers: { Authorization: "Bearer nope" },
    });
    expect(wrong.status).toBe(401);
    expect((await http(port, "/v2/models/twin")).status).toBe(401);
    const allowed = await postJson(port, "/v2/models/twin/infer", body, {
      headers: { Authorization: "Bearer s3cret" },
    });
    expect(allowed.status).toBe(200);
  });
});

describe("REST repository API in explicit mode", () => {
  let sidecar: Sidecar;
  let port: number;

  beforeAll(async () => {
    const repository = join(tempDir(), "repo");
    cpSync(FIXTURE_REPO, repository, { recursive: true });
    sidecar = await start({ repository, mode: "explicit" });
    port = portOf(sidecar.addresses.http);
  });
  afterAll(() => sidecar?.close());

  it("loads and unloads models, refusing config overrides", async () => {
    const index = await http(port, "/v2/repository/index", { body: "" });
    expect(index.json()).toEqual([
      { name: "slow", version: "", state: "UNAVAILABLE", reason: "not loaded" },
      { name: "twin", version: "", state: "UNAVAILABLE", reason: "not loaded" },
    ]);
    expect((await http(port, "/v2/models/twin/ready")).status).toBe(400);

    expect((await http(port, "/v2/repository/models/twin/load", { body: "" })).status).toBe(200);
    expect((await http(port, "/v2/models/twin/ready")).status).toBe(200);
    const ready = await postJson(port, "/v2/repository/index", { ready: true });
    expect(ready.json()).toEqual([{ name: "twin", version: "1", state: "READY", reason: "" }]);

    const overrides = await postJson(port, "/v2/repository/models/twin/load", {
      parameters: { config: "{}" },
    });
    expect(overrides.status).toBe(501);
    expect((overrides.json() as { error: string }).error).toContain("config");

    const missing = await http(port, "/v2/repository/models/ghost/load", { body: "" });
    expect(missing.status).toBe(404);
    expect((missing.json() as { error: string }).error).toContain("ghost");

    expect((await http(port, "/v2/repository/models/twin/unload", { body: "" })).status).toBe(200);
    expect((await http(port, "/v2/models/twin/ready")).status).toBe(400);
    expect((await http(port, "/v2/models/twin")).status).toBe(404);
  });
});

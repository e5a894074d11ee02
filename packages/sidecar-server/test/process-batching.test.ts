import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  GRPCInferenceService,
  Health,
  HealthCheckResponse_ServingStatus,
} from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FRAUD_FEATURE_COUNT, fraudScore } from "../src/demo-model/fraud-reference.js";
import { pendingRequests, portOfUrl, spawnSidecar, stopAllSidecars } from "./process-harness.js";
import {
  bytesOf,
  float32s,
  fraudFeatures,
  http,
  PACKAGE_MODELS,
  SLOW_REPO,
} from "./server-harness.js";

afterEach(() => stopAllSidecars(1_000));

describe("the gpu-sidecar process", () => {
  it("batches 200 concurrent single-row ONNX requests and answers each with its own score", async () => {
    const sidecar = spawnSidecar({ modelRepository: PACKAGE_MODELS });
    const { grpcUrl } = await sidecar.serving;
    const transport = createGrpcTransport({ baseUrl: grpcUrl ?? "" });
    const client = createClient(GRPCInferenceService, transport);
    const rows = 200;
    const features = fraudFeatures(rows, 1000);
    const expected = fraudScore(features, rows);
    const answers = await Promise.all(
      Array.from({ length: rows }, (_, row) =>
        client.modelInfer({
          modelName: "fraud",
          id: String(row),
          inputs: [
            { name: "features", datatype: "FP32", shape: [1n, BigInt(FRAUD_FEATURE_COUNT)] },
          ],
          rawInputContents: [
            bytesOf(features.subarray(row * FRAUD_FEATURE_COUNT, (row + 1) * FRAUD_FEATURE_COUNT)),
          ],
        }),
      ),
    );
    answers.forEach((answer, row) => {
      expect(answer.id).toBe(String(row));
      const [score] = float32s(answer.rawOutputContents[0] as Uint8Array);
      expect(score).toBeCloseTo(expected[row] ?? Number.NaN, 6);
    });
    const [stats] = (await client.modelStatistics({ name: "fraud" })).modelStats;
    expect(stats?.inferenceCount).toBe(BigInt(rows));
    const executions = Number(stats?.executionCount);
    expect(executions).toBeGreaterThan(0);
    // Rows per batch above one: requests from different callers shared batches.
    expect(rows / executions).toBeGreaterThan(1);
  }, 60_000);

  it("answers health while a 1 s batch runs", async () => {
    const sidecar = spawnSidecar({ modelRepository: SLOW_REPO, args: ["--metrics-port", "0"] });
    const { grpcUrl, httpUrl, metricsUrl } = await sidecar.serving;
    const baseUrl = grpcUrl ?? "";
    const inference = createClient(GRPCInferenceService, createGrpcTransport({ baseUrl }));
    const health = createClient(Health, createGrpcTransport({ baseUrl }));
    // One instance, at most 8 rows a batch: of 9 requests at least one waits behind a batch.
    let settled = 0;
    const slow = Array.from({ length: 9 }, () =>
      inference
        .modelInfer({
          modelName: "slow",
          inputs: [{ name: "x", datatype: "FP32", shape: [1n, 4n] }],
          rawInputContents: [bytesOf(Float32Array.of(1, 2, 3, 4))],
        })
        .finally(() => settled++),
    );
    // A request still queued when a scrape reads the gauge means the pump left it there because
    // the only instance is busy: a batch is running.
    await vi.waitUntil(async () => (await pendingRequests(metricsUrl)) > 0, {
      timeout: 10_000,
      interval: 10,
    });
    for (let probe = 0; probe < 5; probe++) {
      const { status } = await health.check({ service: "" });
      expect(status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      expect((await http(portOfUrl(httpUrl), "/v2/health/ready")).status).toBe(200);
    }
    // Every probe was answered before the first batch ended.
    expect(settled).toBe(0);
    for (const answer of await Promise.all(slow)) expect(answer.outputs).toHaveLength(1);
  }, 30_000);
});

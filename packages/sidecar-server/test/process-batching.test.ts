import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  GRPCInferenceService,
  Health,
  HealthCheckResponse_ServingStatus,
} from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it } from "vitest";
import { FRAUD_FEATURE_COUNT, fraudScore } from "../src/demo-model/fraud-reference.js";
import { portOfUrl, spawnSidecar, stopAllSidecars } from "./process-harness.js";
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

  it("answers health within 50 ms while a 1 s batch runs", async () => {
    const sidecar = spawnSidecar({ modelRepository: SLOW_REPO });
    const { grpcUrl, httpUrl } = await sidecar.serving;
    const baseUrl = grpcUrl ?? "";
    const inference = createClient(GRPCInferenceService, createGrpcTransport({ baseUrl }));
    const health = createClient(Health, createGrpcTransport({ baseUrl }));
    // Opens the connection, so that only the answer is timed below.
    await health.check({ service: "" });
    const started = performance.now();
    const slow = inference.modelInfer({
      modelName: "slow",
      inputs: [{ name: "x", datatype: "FP32", shape: [1n, 4n] }],
      rawInputContents: [bytesOf(Float32Array.of(1, 2, 3, 4))],
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let probe = 0; probe < 5; probe++) {
      const before = performance.now();
      const { status } = await health.check({ service: "" });
      expect(status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      expect(performance.now() - before).toBeLessThan(50);
      const restBefore = performance.now();
      expect((await http(portOfUrl(httpUrl), "/v2/health/ready")).status).toBe(200);
      expect(performance.now() - restBefore).toBeLessThan(50);
    }
    // Every probe was answered while the batch was still running.
    expect(performance.now() - started).toBeLessThan(900);
    expect((await slow).outputs).toHaveLength(1);
    // The probes ran while the batch did.
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  }, 30_000);
});

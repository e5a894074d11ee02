import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseModelConfig } from "@gpu-sidecar/sidecar-core";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import {
  FRAUD_FEATURE_COUNT,
  fraudScore,
  syntheticTransaction,
} from "../src/demo-model/fraud-reference.js";

const packageRoot = fileURLToPath(new URL("..", import.meta.url));
const committedModel = join(packageRoot, "models/fraud/1/model.onnx");

describe("demo fraud model", () => {
  const scratch = mkdtempSync(join(tmpdir(), "demo-model-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("regenerates byte-identical to the committed model.onnx", () => {
    const regenerated = join(scratch, "model.onnx");
    execFileSync(process.execPath, [
      join(packageRoot, "scripts/generate-demo-model.mjs"),
      regenerated,
    ]);
    const committed = readFileSync(committedModel);
    expect(committed.byteLength).toBeLessThan(1024 * 1024);
    expect(readFileSync(regenerated).equals(committed)).toBe(true);
  });

  it("matches the JavaScript reference within 1e-5 for 1000 rows under ONNX Runtime", async () => {
    const rows = 1000;
    const features = new Float32Array(rows * FRAUD_FEATURE_COUNT);
    for (let row = 0; row < rows; row++) {
      features.set(syntheticTransaction(row), row * FRAUD_FEATURE_COUNT);
    }
    const session = await ort.InferenceSession.create(committedModel);
    try {
      const result = await session.run({
        features: new ort.Tensor("float32", features, [rows, FRAUD_FEATURE_COUNT]),
      });
      const scores = result.fraud_score;
      expect(scores?.dims).toEqual([rows, 1]);
      const actual = scores?.data as Float32Array;
      const expected = fraudScore(features, rows);
      let maxError = 0;
      for (let row = 0; row < rows; row++) {
        maxError = Math.max(maxError, Math.abs((actual[row] ?? Number.NaN) - (expected[row] ?? 0)));
      }
      expect(maxError).toBeLessThan(1e-5);
      // A model that answers a constant would pass the comparison above only if the reference
      // were equally wrong; the scores must actually depend on the features.
      expect(new Set(expected).size).toBeGreaterThan(rows / 2);
    } finally {
      await session.release();
    }
  });

  it("declares features [batch, 16] in and fraud_score [batch, 1] out", async () => {
    const session = await ort.InferenceSession.create(committedModel);
    try {
      expect(session.inputMetadata).toEqual([
        {
          name: "features",
          isTensor: true,
          type: "float32",
          shape: ["batch", FRAUD_FEATURE_COUNT],
        },
      ]);
      expect(session.outputMetadata).toEqual([
        { name: "fraud_score", isTensor: true, type: "float32", shape: ["batch", 1] },
      ]);
    } finally {
      await session.release();
    }
  });

  it("ships a config the sidecar accepts: onnx on the CPU, batching up to 64 rows, no queue delay (Triton's default)", () => {
    const path = join(packageRoot, "models/fraud/config.json");
    const config = parseModelConfig(JSON.parse(readFileSync(path, "utf8")), path);
    expect(config).toMatchObject({
      backend: "onnx",
      max_batch_size: 64,
      instance_group: [{ kind: "cpu", count: 1 }],
      execution_providers: ["cpu"],
      // Picked from bench/onnxruntime-settings.mjs (bench README).
      onnxruntime: { intra_op_thread_count: 1, allow_spinning: false },
      dynamic_batching: { max_queue_delay_us: 0 },
    });
  });

  it("rejects a feature array that does not hold whole rows", () => {
    expect(() => fraudScore(new Float32Array(FRAUD_FEATURE_COUNT + 1), 1)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });

  it("draws the same synthetic transaction for the same seed and different ones otherwise", () => {
    expect(syntheticTransaction(7)).toEqual(syntheticTransaction(7));
    expect(syntheticTransaction(7)).not.toEqual(syntheticTransaction(8));
    for (const value of syntheticTransaction(7)) {
      expect(value).toBeGreaterThanOrEqual(-2);
      expect(value).toBeLessThan(2);
    }
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModelLoadRequest, Tensor } from "@gpu-sidecar/sidecar-core";
import { afterAll, describe, expect, it } from "vitest";
import { createOnnxBackend } from "../src/backends/onnx-backend.js";
import {
  FRAUD_FEATURE_COUNT,
  fraudScore,
  syntheticTransaction,
} from "../src/demo-model/fraud-reference.js";

const fraudVersionPath = fileURLToPath(new URL("../models/fraud/1", import.meta.url));

function fraudRequest(parameters: Record<string, unknown> = {}): ModelLoadRequest {
  return { name: "fraud", version: "1", versionPath: fraudVersionPath, parameters };
}

function transactions(rows: number): Float32Array {
  const features = new Float32Array(rows * FRAUD_FEATURE_COUNT);
  for (let row = 0; row < rows; row++) {
    features.set(syntheticTransaction(1000 + row), row * FRAUD_FEATURE_COUNT);
  }
  return features;
}

function featuresTensor(bytes: Uint8Array, rows: number): Tensor {
  return { name: "features", datatype: "FP32", shape: [rows, FRAUD_FEATURE_COUNT], data: bytes };
}

function expectScores(output: Tensor | undefined, features: Float32Array, rows: number) {
  expect(output?.name).toBe("fraud_score");
  expect(output?.datatype).toBe("FP32");
  expect(output?.shape).toEqual([rows, 1]);
  const data = output?.data ?? new Uint8Array();
  const scores = new Float32Array(data.slice().buffer);
  const expected = fraudScore(features, rows);
  expect(scores).toHaveLength(rows);
  scores.forEach((score, row) => {
    expect(score).toBeCloseTo(expected[row] ?? Number.NaN, 5);
  });
}

describe("onnx backend", () => {
  const scratch = mkdtempSync(join(tmpdir(), "onnx-backend-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("derives the signature from the session, symbolic dimensions as -1", async () => {
    const model = await createOnnxBackend().load(fraudRequest());
    try {
      expect(model.signature).toEqual({
        inputs: [{ name: "features", datatype: "FP32", shape: [-1, FRAUD_FEATURE_COUNT] }],
        outputs: [{ name: "fraud_score", datatype: "FP32", shape: [-1, 1] }],
      });
    } finally {
      await model.unload();
    }
  });

  it("runs a batch from raw bytes and returns raw bytes", async () => {
    const model = await createOnnxBackend().load(fraudRequest({ execution_providers: ["cpu"] }));
    try {
      const rows = 8;
      const features = transactions(rows);
      const [scores] = await model.run(
        [featuresTensor(new Uint8Array(features.buffer), rows)],
        ["fraud_score"],
      );
      expectScores(scores, features, rows);
    } finally {
      await model.unload();
    }
  });

  it("copies an input view that is not aligned for its element type, leaving it untouched", async () => {
    const model = await createOnnxBackend().load(fraudRequest());
    try {
      const rows = 3;
      const features = transactions(rows);
      const backing = new Uint8Array(features.byteLength + 1);
      backing.set(new Uint8Array(features.buffer), 1);
      const view = backing.subarray(1);
      const before = view.slice();
      const [scores] = await model.run([featuresTensor(view, rows)], ["fraud_score"]);
      expectScores(scores, features, rows);
      expect(view).toEqual(before);
    } finally {
      await model.unload();
    }
  });

  it("copies an unaligned view into a Node Buffer, whose slice() would not copy", async () => {
    const model = await createOnnxBackend().load(fraudRequest());
    try {
      const rows = 3;
      const features = transactions(rows);
      // As a REST body carries binary data: a Buffer, the tensor after a JSON header of odd length.
      const body = Buffer.concat([Buffer.from("{}\n"), Buffer.from(features.buffer)]);
      const view = body.subarray(3);
      const [scores] = await model.run([featuresTensor(view, rows)], ["fraud_score"]);
      expectScores(scores, features, rows);
    } finally {
      await model.unload();
    }
  });

  // This workspace does not approve onnxruntime-node's build script, so its CUDA provider
  // libraries are absent and CUDA cannot load: exactly the situation these two tests need.
  it("fails the load loudly when CUDA is requested and cannot load", async () => {
    const load = createOnnxBackend({ onWarning: () => {} }).load(
      fraudRequest({ execution_providers: ["cuda", "cpu"] }),
    );
    await expect(load).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringMatching(/execution provider\(s\) cuda were requested but cannot load/),
    });
    await expect(load).rejects.toMatchObject({
      message: expect.stringMatching(/ONNXRUNTIME_NODE_INSTALL=cuda12.*allow_cpu_fallback/s),
    });
    // Said from the missing library, before onnxruntime is asked for the provider at all.
    await expect(load).rejects.toMatchObject({
      message: expect.stringMatching(/libonnxruntime_providers_cuda\.so is not installed in /),
    });
  });

  it("falls back to the CPU with a warning when allow_cpu_fallback is true", async () => {
    const warnings: string[] = [];
    const model = await createOnnxBackend({ onWarning: (message) => warnings.push(message) }).load(
      fraudRequest({ execution_providers: ["cuda", "cpu"], allow_cpu_fallback: true }),
    );
    try {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/cuda were requested but cannot load/);
      expect(warnings[0]).toMatch(/Running on the CPU because allow_cpu_fallback is true/);
      const features = transactions(2);
      const [scores] = await model.run(
        [featuresTensor(new Uint8Array(features.buffer), 2)],
        ["fraud_score"],
      );
      expectScores(scores, features, 2);
    } finally {
      await model.unload();
    }
  });

  it("rejects an execution provider this onnxruntime-node build does not know", async () => {
    await expect(
      createOnnxBackend().load(fraudRequest({ execution_providers: ["quantum", "cpu"] })),
    ).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringMatching(/quantum are not part of this onnxruntime-node build/),
    });
  });

  it.each([
    [{ execution_providers: "cuda" }, /execution_providers must be a non-empty list/],
    [{ execution_providers: [] }, /execution_providers must be a non-empty list/],
    [{ allow_cpu_fallback: "yes" }, /allow_cpu_fallback must be true or false/],
  ])("rejects invalid parameters %#", async (parameters, message) => {
    await expect(createOnnxBackend().load(fraudRequest(parameters))).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(message),
    });
  });

  it("says NOT_FOUND when the version directory has no model.onnx", async () => {
    await expect(
      createOnnxBackend().load({ ...fraudRequest(), versionPath: scratch }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringMatching(/no model\.onnx/),
    });
  });

  it("says INVALID_ARGUMENT when model.onnx is not a model", async () => {
    writeFileSync(join(scratch, "model.onnx"), "not a protobuf at all");
    for (const providers of [["cpu"], ["cuda", "cpu"]]) {
      await expect(
        createOnnxBackend({ onWarning: () => {} }).load({
          ...fraudRequest({ execution_providers: providers, allow_cpu_fallback: true }),
          versionPath: scratch,
        }),
      ).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        message: expect.stringMatching(/ONNX Runtime cannot load/),
      });
    }
    rmSync(join(scratch, "model.onnx"));
  });

  it("rejects batches that do not match the signature", async () => {
    const model = await createOnnxBackend().load(fraudRequest());
    try {
      const features = new Uint8Array(4 * FRAUD_FEATURE_COUNT);
      await expect(model.run([featuresTensor(features, 1)], ["probability"])).rejects.toMatchObject(
        { code: "INVALID_ARGUMENT", message: /no output "probability"/ },
      );
      await expect(
        model.run([{ ...featuresTensor(features, 1), name: "amount" }], ["fraud_score"]),
      ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: /no input "amount"/ });
      await expect(
        model.run([{ ...featuresTensor(features, 1), datatype: "INT32" }], ["fraud_score"]),
      ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: /must be FP32, got INT32/ });
      await expect(model.run([featuresTensor(features, 2)], ["fraud_score"])).rejects.toMatchObject(
        { code: "INVALID_ARGUMENT", message: /holds 64 bytes .* needs 128/ },
      );
    } finally {
      await model.unload();
    }
  });
});

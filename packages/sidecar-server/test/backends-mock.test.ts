import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ModelLoadRequest, Tensor } from "@gpu-sidecar/sidecar-core";
import { parseModelConfig } from "@gpu-sidecar/sidecar-core/config";
import { describe, expect, it } from "vitest";
import { createMockBackend } from "../src/backends/mock-backend.js";
import { createOnnxBackend } from "../src/backends/onnx-backend.js";

const FRAUD_SIGNATURE = {
  inputs: [{ name: "features", datatype: "FP32", shape: [-1, 16] }],
  outputs: [{ name: "fraud_score", datatype: "FP32", shape: [-1, 1] }],
};

function request(parameters: Record<string, unknown>): ModelLoadRequest {
  return { name: "mock-test", version: "1", versionPath: "/nonexistent", parameters };
}

function fp64(name: string, rows: number[][]): Tensor {
  const values = Float64Array.from(rows.flat());
  return {
    name,
    datatype: "FP64",
    shape: [rows.length, rows[0]?.length ?? 0],
    data: new Uint8Array(values.buffer),
  };
}

function fp32Values(tensor: Tensor | undefined): number[] {
  if (tensor === undefined) throw new Error("missing output");
  return Array.from(
    new Float32Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength / 4),
  );
}

const twoInputs = {
  inputs: [
    { name: "a", datatype: "FP64", shape: [-1, 2] },
    { name: "b", datatype: "FP64", shape: [-1, 1] },
  ],
  outputs: [{ name: "score", datatype: "FP32", shape: [-1, 2] }],
};

describe("mock backend", () => {
  it("declares the signature given in its parameters", async () => {
    const model = await createMockBackend().load(request(twoInputs));
    expect(model.signature).toEqual(twoInputs);
  });

  it("scores each row as the logistic of the mean of its elements across all inputs", async () => {
    const model = await createMockBackend({ sleep: async () => {} }).load(request(twoInputs));
    const ln3 = Math.log(3);
    const [score] = await model.run(
      [
        fp64("a", [
          [0, 0],
          [ln3, 2 * ln3],
          [-1, -1],
        ]),
        fp64("b", [[0], [0], [-1]]),
      ],
      ["score"],
    );
    expect(score?.shape).toEqual([3, 2]);
    expect(score?.datatype).toBe("FP32");
    // Row means: 0 → 0.5; ln 3 → 3/4; -1 → 1 / (1 + e).
    expect(fp32Values(score)).toEqual(
      [0.5, 0.5, 0.75, 0.75, 1 / (1 + Math.E), 1 / (1 + Math.E)].map(Math.fround),
    );
  });

  it("answers the same bytes for the same batch", async () => {
    const model = await createMockBackend({ sleep: async () => {} }).load(request(twoInputs));
    const batch = [fp64("a", [[0.25, 7]]), fp64("b", [[-3]])];
    const [first] = await model.run(batch, ["score"]);
    const [second] = await model.run(batch, ["score"]);
    expect(second?.data).toEqual(first?.data);
  });

  it("spends fixed_latency_us plus per_row_latency_us per row on each batch", async () => {
    const slept: number[] = [];
    const backend = createMockBackend({ sleep: async (us) => void slept.push(us) });
    const model = await backend.load(
      request({ ...twoInputs, fixed_latency_us: 1000, per_row_latency_us: 10 }),
    );
    const rows = (count: number) => Array.from({ length: count }, () => [1, 2]);
    await model.run(
      [
        fp64("a", rows(7)),
        fp64(
          "b",
          rows(7).map(() => [0]),
        ),
      ],
      ["score"],
    );
    await model.run([fp64("a", rows(1)), fp64("b", [[0]])], ["score"]);
    expect(slept).toEqual([1070, 1010]);
  });

  it("waits without blocking the event loop on the main thread", async () => {
    const model = await createMockBackend().load(
      request({ ...twoInputs, fixed_latency_us: 300_000 }),
    );
    let finished = false;
    const running = model.run([fp64("a", [[1, 2]]), fp64("b", [[3]])], ["score"]).then(() => {
      finished = true;
    });
    // A blocking sleep would have finished the batch before the event loop turned once.
    await new Promise((resolve) => setImmediate(resolve));
    expect(finished).toBe(false);
    await running;
    expect(finished).toBe(true);
  });

  it("declares the same signature for fraud-mock as the ONNX fraud model has", async () => {
    const path = fileURLToPath(new URL("../models/fraud-mock/config.json", import.meta.url));
    const config = parseModelConfig(JSON.parse(readFileSync(path, "utf8")), path);
    if (config.backend !== "mock") throw new Error(`${path} must configure the mock backend`);
    const mock = await createMockBackend().load(request(config.mock));
    const onnx = await createOnnxBackend().load({
      name: "fraud",
      version: "1",
      versionPath: new URL("../models/fraud/1", import.meta.url).pathname,
      parameters: {},
    });
    try {
      expect(mock.signature).toEqual(FRAUD_SIGNATURE);
      expect(onnx.signature).toEqual(FRAUD_SIGNATURE);
    } finally {
      await onnx.unload();
    }
  });

  it.each([
    [{ outputs: twoInputs.outputs }, /parameters\.inputs must be a non-empty list/],
    [{ ...twoInputs, inputs: [{ name: "a", datatype: "FP33", shape: [-1] }] }, /datatype/],
    [{ ...twoInputs, inputs: [{ name: "a", datatype: "FP32", shape: [4] }] }, /batch dimension/],
    [{ ...twoInputs, inputs: [{ name: "s", datatype: "BYTES", shape: [-1] }] }, /numeric/],
    [{ ...twoInputs, outputs: [{ name: "o", datatype: "INT32", shape: [-1] }] }, /FP32 or FP64/],
    [{ ...twoInputs, outputs: [{ name: "o", datatype: "FP32", shape: [-1, -1] }] }, /fixed/],
    [{ ...twoInputs, fixed_latency_us: -1 }, /fixed_latency_us must be a non-negative/],
    [{ ...twoInputs, crash_on_rows: 0 }, /crash_on_rows must be a positive integer/],
  ])("rejects invalid parameters %#", async (parameters, message) => {
    await expect(createMockBackend().load(request(parameters))).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(message),
    });
  });

  it("refuses crash_on_rows on the main thread, where it would end the sidecar", async () => {
    await expect(
      createMockBackend().load(request({ ...twoInputs, crash_on_rows: 3 })),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: /executor workers/ });
  });

  it("rejects batches that do not match the signature", async () => {
    const model = await createMockBackend({ sleep: async () => {} }).load(request(twoInputs));
    const b = fp64("b", [[0]]);
    const cases: [Tensor[], string[], RegExp][] = [
      [[fp64("a", [[0, 0]]), b], ["nope"], /unknown output "nope"/],
      [[b], ["score"], /expected input "a" exactly once, got it 0 times/],
      [[fp64("a", [[0, 0]]), b, fp64("c", [[0]])], ["score"], /unknown input "c"/],
      [[{ ...fp64("a", [[0, 0]]), datatype: "FP32" }, b], ["score"], /must be FP64/],
      [[fp64("a", [[0, 0]]), fp64("b", [[0], [0]])], ["score"], /has 2 rows/],
      [[{ ...fp64("a", [[0, 0]]), shape: [1, 3] }, b], ["score"], /holds 16 bytes/],
    ];
    for (const [inputs, outputs, message] of cases) {
      await expect(model.run(inputs, outputs)).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        message: expect.stringMatching(message),
      });
    }
  });
});

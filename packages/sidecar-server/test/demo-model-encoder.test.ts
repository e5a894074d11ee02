import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { encodeMlp, type MlpLayer } from "../src/demo-model/index.js";

/** 3 → 2 (Relu) → 1 (Sigmoid), with weights small enough to check by hand. */
function tinyLayers(): MlpLayer[] {
  return [
    {
      inputs: 3,
      outputs: 2,
      activation: "Relu",
      weight: Float32Array.of(1, -1, 2, 0, 0, 1), // [[1, -1], [2, 0], [0, 1]]
      bias: Float32Array.of(0.5, -0.5),
    },
    {
      inputs: 2,
      outputs: 1,
      activation: "Sigmoid",
      weight: Float32Array.of(1, -2),
      bias: Float32Array.of(0),
    },
  ];
}

const tinyModel = {
  graphName: "tiny_mlp",
  inputName: "x",
  outputName: "y",
  layers: tinyLayers(),
};

describe("encodeMlp", () => {
  it("writes a model ONNX Runtime loads and computes Gemm + activation per layer", async () => {
    const session = await ort.InferenceSession.create(encodeMlp(tinyModel));
    try {
      expect(session.inputMetadata).toEqual([
        { name: "x", isTensor: true, type: "float32", shape: ["batch", 3] },
      ]);
      expect(session.outputMetadata).toEqual([
        { name: "y", isTensor: true, type: "float32", shape: ["batch", 1] },
      ]);
      const x = Float32Array.of(1, 1, 1, -1, 0, 2);
      const result = await session.run({ x: new ort.Tensor("float32", x, [2, 3]) });
      // Row 0: relu([1+2+0.5, -1+1-0.5]) = [3.5, 0] → sigmoid(3.5).
      // Row 1: relu([-1+0+0.5, 1+2-0.5]) = [0, 2.5] → sigmoid(-5).
      const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
      const y = result.y?.data as Float32Array;
      expect(result.y?.dims).toEqual([2, 1]);
      expect(y[0]).toBeCloseTo(sigmoid(3.5), 6);
      expect(y[1]).toBeCloseTo(sigmoid(-5), 6);
    } finally {
      await session.release();
    }
  });

  it("gives the same bytes for the same model, and the producer name changes only the header", () => {
    const bytes = encodeMlp(tinyModel);
    expect(encodeMlp({ ...tinyModel, layers: tinyLayers() })).toEqual(bytes);
    const produced = encodeMlp({ ...tinyModel, producer: "someone else" });
    expect(Buffer.from(produced).includes("someone else")).toBe(true);
    expect(Buffer.from(bytes).includes("gpu-sidecar")).toBe(true);
  });

  it("rejects layers that do not chain or whose weights have the wrong size", () => {
    const [first, second] = tinyLayers() as [MlpLayer, MlpLayer];
    const cases: [readonly MlpLayer[], RegExp][] = [
      [[], /at least one layer/],
      [[first, { ...second, inputs: 3, weight: new Float32Array(3) }], /layer 1: inputs 3/],
      [[{ ...first, weight: new Float32Array(5) }], /layer 0: weight .* 6 values/],
      [[{ ...first, bias: new Float32Array(3) }], /layer 0: bias .* 2 values/],
      [[{ ...first, outputs: 0 }], /layer 0: outputs must be a positive integer/],
    ];
    for (const [layers, message] of cases) {
      expect(() => encodeMlp({ ...tinyModel, layers })).toThrow(message);
    }
  });
});

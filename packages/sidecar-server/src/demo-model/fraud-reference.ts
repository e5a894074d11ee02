import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import { FRAUD_FEATURE_COUNT, type FraudLayer, fraudWeights } from "./fraud-weights.mjs";
import { mulberry32 } from "./mulberry32.mjs";

export { FRAUD_FEATURE_COUNT };

let layers: readonly FraudLayer[] | undefined;

/**
 * The demo fraud model computed in JavaScript with float32 rounding after every operation, the
 * arithmetic ONNX Runtime uses: a ground truth for tests and a CPU baseline for benchmarks.
 * `features` is row-major `[rows, FRAUD_FEATURE_COUNT]`; the result holds one score in (0, 1)
 * per row.
 */
export function fraudScore(features: Float32Array, rows: number): Float32Array {
  if (!Number.isInteger(rows) || rows < 0 || features.length !== rows * FRAUD_FEATURE_COUNT) {
    throw new SidecarError(
      ErrorCode.InvalidArgument,
      `fraudScore needs ${FRAUD_FEATURE_COUNT} features per row: got ${features.length} values ` +
        `for ${rows} rows; pass rows * ${FRAUD_FEATURE_COUNT} features`,
    );
  }
  layers ??= fraudWeights();
  let activations = features;
  for (const layer of layers) activations = dense(layer, activations, rows);
  return activations;
}

function dense(layer: FraudLayer, input: Float32Array, rows: number): Float32Array {
  const { inputs, outputs, weight, bias, activation } = layer;
  const output = new Float32Array(rows * outputs);
  for (let row = 0; row < rows; row++) {
    for (let out = 0; out < outputs; out++) {
      let sum = 0;
      for (let i = 0; i < inputs; i++) {
        sum = Math.fround(
          sum + Math.fround((input[row * inputs + i] ?? 0) * (weight[i * outputs + out] ?? 0)),
        );
      }
      const linear = Math.fround(sum + (bias[out] ?? 0));
      output[row * outputs + out] =
        activation === "Relu" ? Math.max(0, linear) : Math.fround(1 / (1 + Math.exp(-linear)));
    }
  }
  return output;
}

/**
 * One synthetic transaction for examples and benchmarks: FRAUD_FEATURE_COUNT standardized
 * features, uniform in [-2, 2), fully determined by `seed` so that runs are reproducible.
 */
export function syntheticTransaction(seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: FRAUD_FEATURE_COUNT }, () => random() * 4 - 2);
}

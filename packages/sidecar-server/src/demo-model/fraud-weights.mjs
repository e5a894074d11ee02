// The one source of the demo fraud model's weights: `scripts/generate-demo-model.mjs` writes them
// into `models/fraud/1/model.onnx`, and `fraud-reference.ts` computes with them, so the ONNX file
// and the JavaScript reference cannot drift apart. Plain ESM JavaScript for the reason given in
// `mulberry32.mjs`.
import { mulberry32 } from "./mulberry32.mjs";

/** Features per transaction (the model's input width). */
export const FRAUD_FEATURE_COUNT = 16;

const SEED = 0x0f4a0d17;

const LAYER_SHAPES = [
  { inputs: FRAUD_FEATURE_COUNT, outputs: 32, activation: "Relu" },
  { inputs: 32, outputs: 16, activation: "Relu" },
  { inputs: 16, outputs: 1, activation: "Sigmoid" },
];

/**
 * The layers of the fraud MLP, drawn from mulberry32 with a fixed seed. `weight` is row-major
 * `[inputs, outputs]` (ONNX Gemm's B without transB). Weights are uniform in ±sqrt(6 / inputs)
 * (He-uniform, which keeps ReLU activations from dying or exploding), biases uniform in ±0.1.
 * Float32Array storage rounds every value to float32 once, here, for both consumers.
 */
export function fraudWeights() {
  const random = mulberry32(SEED);
  const uniform = (bound) => (random() * 2 - 1) * bound;
  return LAYER_SHAPES.map(({ inputs, outputs, activation }) => {
    const bound = Math.sqrt(6 / inputs);
    const weight = Float32Array.from({ length: inputs * outputs }, () => uniform(bound));
    const bias = Float32Array.from({ length: outputs }, () => uniform(0.1));
    return { inputs, outputs, activation, weight, bias };
  });
}

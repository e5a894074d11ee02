// The `./demo-model` export (tsup entry "demo-model"): the demo fraud model's JavaScript reference
// and the ONNX MLP encoder that writes it, importable without loading the server or onnxruntime.
export { FRAUD_FEATURE_COUNT, fraudScore, syntheticTransaction } from "./fraud-reference.js";
export { encodeMlp, type MlpLayer, type MlpModel } from "./onnx-mlp-writer.mjs";

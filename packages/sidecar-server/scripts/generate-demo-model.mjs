#!/usr/bin/env node
// Writes the bundled demo model, a small fraud-scoring MLP, as ONNX:
//   features FP32 [batch, 16] → Gemm(16→32)+Relu → Gemm(32→16)+Relu → Gemm(16→1)+Sigmoid
//   → fraud_score FP32 [batch, 1]
//
// Usage: node scripts/generate-demo-model.mjs [output-file]   (default: models/fraud/1/model.onnx)
//
// The ModelProto is encoded by src/demo-model/onnx-mlp-writer.mjs (by hand, with @bufbuild/protobuf's
// BinaryWriter, so no ONNX toolchain is needed). Weights come from src/demo-model/fraud-weights.mjs,
// the module the TypeScript reference uses too. The output is byte-identical on every run; a test
// regenerates it and compares with the committed file.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fraudWeights } from "../src/demo-model/fraud-weights.mjs";
import { encodeMlp } from "../src/demo-model/onnx-mlp-writer.mjs";

function encodeFraudModel() {
  return encodeMlp({
    graphName: "fraud_mlp",
    inputName: "features",
    outputName: "fraud_score",
    layers: fraudWeights(),
    producer: "gpu-sidecar generate-demo-model",
  });
}

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outputFile = resolve(process.argv[2] ?? resolve(packageRoot, "models/fraud/1/model.onnx"));
mkdirSync(dirname(outputFile), { recursive: true });
writeFileSync(outputFile, encodeFraudModel());
console.log(`wrote ${outputFile}`);

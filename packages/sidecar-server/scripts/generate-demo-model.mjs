#!/usr/bin/env node
// Writes the bundled demo model, a small fraud-scoring MLP, as ONNX:
//   features FP32 [batch, 16] → Gemm(16→32)+Relu → Gemm(32→16)+Relu → Gemm(16→1)+Sigmoid
//   → fraud_score FP32 [batch, 1]
//
// Usage: node scripts/generate-demo-model.mjs [output-file]   (default: models/fraud/1/model.onnx)
//
// The ModelProto is encoded by hand with @bufbuild/protobuf's BinaryWriter and the field numbers
// of the public onnx.proto, so no ONNX toolchain (Python, protoc) is needed. Weights come from
// src/demo-model/fraud-weights.mjs, the module the TypeScript reference uses too. The output is
// byte-identical on every run; a test regenerates it and compares with the committed file.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { FRAUD_FEATURE_COUNT, fraudWeights } from "../src/demo-model/fraud-weights.mjs";

const IR_VERSION = 8;
const OPSET_VERSION = 17;
const FLOAT = 1; // TensorProto.DataType.FLOAT
const INPUT_NAME = "features";
const OUTPUT_NAME = "fraud_score";
const BATCH_DIM = "batch";

/** Writes a length-delimited submessage `field` whose body `write` fills. */
function message(writer, field, write) {
  writer.tag(field, WireType.LengthDelimited).fork();
  write(writer);
  writer.join();
}

function string(writer, field, value) {
  writer.tag(field, WireType.LengthDelimited).string(value);
}

function varint(writer, field, value) {
  writer.tag(field, WireType.Varint).int64(value);
}

/** TensorProto: dims=1, data_type=2, name=8, raw_data=9 (little-endian float32). */
function initializer(writer, name, dims, values) {
  message(writer, 5, (tensor) => {
    for (const dim of dims) varint(tensor, 1, dim);
    varint(tensor, 2, FLOAT);
    string(tensor, 8, name);
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (const [i, value] of values.entries()) view.setFloat32(i * 4, value, true);
    tensor.tag(9, WireType.LengthDelimited).bytes(bytes);
  });
}

/** NodeProto: input=1, output=2, name=3, op_type=4. */
function node(writer, name, opType, inputs, outputs) {
  message(writer, 1, (n) => {
    for (const input of inputs) string(n, 1, input);
    for (const output of outputs) string(n, 2, output);
    string(n, 3, name);
    string(n, 4, opType);
  });
}

/**
 * ValueInfoProto (name=1, type=2) of a float tensor. TypeProto.tensor_type=1 →
 * Tensor.elem_type=1, shape=2 → TensorShapeProto.dim=1 → Dimension dim_value=1 | dim_param=2.
 */
function valueInfo(writer, field, name, dims) {
  message(writer, field, (info) => {
    string(info, 1, name);
    message(info, 2, (type) => {
      message(type, 1, (tensorType) => {
        varint(tensorType, 1, FLOAT);
        message(tensorType, 2, (shape) => {
          for (const dim of dims) {
            message(shape, 1, (d) => {
              if (typeof dim === "string") string(d, 2, dim);
              else varint(d, 1, dim);
            });
          }
        });
      });
    });
  });
}

function encodeFraudModel() {
  const layers = fraudWeights();
  const model = new BinaryWriter();
  varint(model, 1, IR_VERSION);
  string(model, 2, "gpu-sidecar generate-demo-model");
  message(model, 7, (graph) => {
    let current = INPUT_NAME;
    layers.forEach((layer, i) => {
      const prefix = `layer${i}`;
      const activated = i === layers.length - 1 ? OUTPUT_NAME : `${prefix}.${layer.activation}`;
      node(
        graph,
        `${prefix}.gemm`,
        "Gemm",
        [current, `${prefix}.weight`, `${prefix}.bias`],
        [`${prefix}.linear`],
      );
      node(
        graph,
        `${prefix}.${layer.activation}`,
        layer.activation,
        [`${prefix}.linear`],
        [activated],
      );
      current = activated;
    });
    string(graph, 2, "fraud_mlp");
    layers.forEach((layer, i) => {
      initializer(graph, `layer${i}.weight`, [layer.inputs, layer.outputs], layer.weight);
      initializer(graph, `layer${i}.bias`, [layer.outputs], layer.bias);
    });
    valueInfo(graph, 11, INPUT_NAME, [BATCH_DIM, FRAUD_FEATURE_COUNT]);
    valueInfo(graph, 12, OUTPUT_NAME, [BATCH_DIM, 1]);
  });
  // OperatorSetIdProto: domain=1 (empty: the default ONNX domain), version=2.
  message(model, 8, (opset) => {
    string(opset, 1, "");
    varint(opset, 2, OPSET_VERSION);
  });
  return model.finish();
}

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outputFile = resolve(process.argv[2] ?? resolve(packageRoot, "models/fraud/1/model.onnx"));
mkdirSync(dirname(outputFile), { recursive: true });
writeFileSync(outputFile, encodeFraudModel());
console.log(`wrote ${outputFile}`);

// Encodes a multilayer perceptron as an ONNX ModelProto with @bufbuild/protobuf's BinaryWriter and
// the field numbers of the public onnx.proto, exactly as the sidecar-server's
// scripts/generate-demo-model.mjs writes the bundled fraud model. That script keeps its encoder
// private (it runs on import and exports nothing), so this is the same approach, parameterised;
// the two should become one shared module (see bench/README.md).
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

const IR_VERSION = 8;
const OPSET_VERSION = 17;
const FLOAT = 1; // TensorProto.DataType.FLOAT
const BATCH_DIM = "batch";

/**
 * @typedef {object} MlpLayer
 * @property {number} inputs
 * @property {number} outputs
 * @property {"Relu" | "Sigmoid"} activation
 * @property {Float32Array} weight Row-major [inputs, outputs] (Gemm's B without transB).
 * @property {Float32Array} bias
 */

/**
 * @typedef {object} MlpGraph
 * @property {string} graphName
 * @property {string} inputName FP32 [batch, layers[0].inputs]
 * @property {string} outputName FP32 [batch, last layer's outputs]
 * @property {readonly MlpLayer[]} layers
 */

/**
 * Writes a length-delimited submessage `field` whose body `write` fills.
 * @param {BinaryWriter} writer @param {number} field @param {(w: BinaryWriter) => void} write
 */
function message(writer, field, write) {
  writer.tag(field, WireType.LengthDelimited).fork();
  write(writer);
  writer.join();
}

/** @param {BinaryWriter} writer @param {number} field @param {string} value */
function string(writer, field, value) {
  writer.tag(field, WireType.LengthDelimited).string(value);
}

/** @param {BinaryWriter} writer @param {number} field @param {number} value */
function varint(writer, field, value) {
  writer.tag(field, WireType.Varint).int64(value);
}

/**
 * TensorProto: dims=1, data_type=2, name=8, raw_data=9 (little-endian float32).
 * @param {BinaryWriter} writer @param {string} name @param {number[]} dims @param {Float32Array} values
 */
function initializer(writer, name, dims, values) {
  message(writer, 5, (tensor) => {
    for (const dim of dims) varint(tensor, 1, dim);
    varint(tensor, 2, FLOAT);
    string(tensor, 8, name);
    tensor.tag(9, WireType.LengthDelimited).bytes(littleEndianBytes(values));
  });
}

/**
 * The float32 bytes in little-endian order: a view of `values` on little-endian hosts (every
 * platform onnxruntime-node ships for), a byte-swapped copy elsewhere. The large model's
 * weights are 100 MB, so the copy is avoided where it can be.
 * @param {Float32Array} values
 */
function littleEndianBytes(values) {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) {
    return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  }
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  for (const [i, value] of values.entries()) view.setFloat32(i * 4, value, true);
  return bytes;
}

/**
 * NodeProto: input=1, output=2, name=3, op_type=4.
 * @param {BinaryWriter} writer @param {string} name @param {string} opType
 * @param {string[]} inputs @param {string[]} outputs
 */
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
 * @param {BinaryWriter} writer @param {number} field @param {string} name
 * @param {(string | number)[]} dims
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

/**
 * The ONNX file of `graph`: one Gemm and one activation node per layer, with a dynamic batch
 * dimension.
 * @param {MlpGraph} graph
 * @returns {Uint8Array}
 */
export function encodeMlp({ graphName, inputName, outputName, layers }) {
  const first = layers[0];
  const last = layers.at(-1);
  if (first === undefined || last === undefined) throw new Error("encodeMlp: no layers");
  const model = new BinaryWriter();
  varint(model, 1, IR_VERSION);
  string(model, 2, "gpu-sidecar bench");
  message(model, 7, (g) => {
    let current = inputName;
    layers.forEach((layer, i) => {
      const prefix = `layer${i}`;
      const activated = layer === last ? outputName : `${prefix}.${layer.activation}`;
      node(
        g,
        `${prefix}.gemm`,
        "Gemm",
        [current, `${prefix}.weight`, `${prefix}.bias`],
        [`${prefix}.linear`],
      );
      node(g, `${prefix}.${layer.activation}`, layer.activation, [`${prefix}.linear`], [activated]);
      current = activated;
    });
    string(g, 2, graphName);
    layers.forEach((layer, i) => {
      initializer(g, `layer${i}.weight`, [layer.inputs, layer.outputs], layer.weight);
      initializer(g, `layer${i}.bias`, [layer.outputs], layer.bias);
    });
    valueInfo(g, 11, inputName, [BATCH_DIM, first.inputs]);
    valueInfo(g, 12, outputName, [BATCH_DIM, last.outputs]);
  });
  // OperatorSetIdProto: domain=1 (empty: the default ONNX domain), version=2.
  message(model, 8, (opset) => {
    string(opset, 1, "");
    varint(opset, 2, OPSET_VERSION);
  });
  return model.finish();
}

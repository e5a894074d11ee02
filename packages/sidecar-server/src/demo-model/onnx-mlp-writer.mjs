// Encodes a multilayer perceptron as an ONNX ModelProto with @bufbuild/protobuf's BinaryWriter and
// the field numbers of the public onnx.proto, so no ONNX toolchain (Python, protoc) is needed. The
// one encoder of the repository: `scripts/generate-demo-model.mjs` writes the bundled fraud model
// with it, and the benchmark its large model (through the package's `./demo-model` export). Plain
// ESM JavaScript for the reason given in `mulberry32.mjs`; the types are in `onnx-mlp-writer.d.mts`.
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

const IR_VERSION = 8;
const OPSET_VERSION = 17;
const FLOAT = 1; // TensorProto.DataType.FLOAT
const BATCH_DIM = "batch";
const DEFAULT_PRODUCER = "gpu-sidecar";

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

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The float32 bytes in little-endian order: a view of `values` on little-endian hosts (every
 * platform onnxruntime-node ships for), a byte-swapped copy elsewhere. The benchmark's large
 * model holds 100 MB of weights, so the copy is avoided where it can be.
 * @param {Float32Array} values
 */
function littleEndianBytes(values) {
  if (LITTLE_ENDIAN_HOST) {
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
 * Throws unless the layers form a chain of whole dense layers: positive integer widths, each
 * layer's inputs the previous layer's outputs, and weight and bias of the declared sizes. ONNX
 * Runtime would reject such a model only when it loads it, far from the mistake.
 * @param {readonly import("./onnx-mlp-writer.d.mts").MlpLayer[]} layers
 */
function checkLayers(layers) {
  if (layers.length === 0) throw new RangeError("encodeMlp: pass at least one layer");
  layers.forEach((layer, i) => {
    const { inputs, outputs, weight, bias } = layer;
    const where = `encodeMlp: layer ${i}`;
    for (const [name, width] of [
      ["inputs", inputs],
      ["outputs", outputs],
    ]) {
      if (!Number.isInteger(width) || width < 1) {
        throw new RangeError(`${where}: ${name} must be a positive integer, got ${width}`);
      }
    }
    const previous = layers[i - 1];
    if (previous !== undefined && previous.outputs !== inputs) {
      throw new RangeError(
        `${where}: inputs ${inputs} must equal layer ${i - 1}'s outputs ${previous.outputs}`,
      );
    }
    if (!(weight instanceof Float32Array) || weight.length !== inputs * outputs) {
      throw new RangeError(
        `${where}: weight must be a Float32Array of inputs × outputs = ${inputs * outputs} values`,
      );
    }
    if (!(bias instanceof Float32Array) || bias.length !== outputs) {
      throw new RangeError(`${where}: bias must be a Float32Array of outputs = ${outputs} values`);
    }
  });
}

/**
 * The ONNX file of an MLP: per layer `i` a Gemm node `layer<i>.gemm` (initializers
 * `layer<i>.weight`, `layer<i>.bias`) and an activation node, FP32 throughout, with a dynamic
 * `batch` dimension on the input and output. The same options give the same bytes.
 * @param {import("./onnx-mlp-writer.d.mts").MlpModel} model
 * @returns {Uint8Array}
 */
export function encodeMlp({ graphName, inputName, outputName, layers, producer }) {
  checkLayers(layers);
  const first = /** @type {import("./onnx-mlp-writer.d.mts").MlpLayer} */ (layers[0]);
  const last = /** @type {import("./onnx-mlp-writer.d.mts").MlpLayer} */ (layers.at(-1));
  const model = new BinaryWriter();
  varint(model, 1, IR_VERSION);
  string(model, 2, producer ?? DEFAULT_PRODUCER);
  message(model, 7, (graph) => {
    let current = inputName;
    layers.forEach((layer, i) => {
      const prefix = `layer${i}`;
      const activated = i === layers.length - 1 ? outputName : `${prefix}.${layer.activation}`;
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
    string(graph, 2, graphName);
    layers.forEach((layer, i) => {
      initializer(graph, `layer${i}.weight`, [layer.inputs, layer.outputs], layer.weight);
      initializer(graph, `layer${i}.bias`, [layer.outputs], layer.bias);
    });
    valueInfo(graph, 11, inputName, [BATCH_DIM, first.inputs]);
    valueInfo(graph, 12, outputName, [BATCH_DIM, last.outputs]);
  });
  // OperatorSetIdProto: domain=1 (empty: the default ONNX domain), version=2.
  message(model, 8, (opset) => {
    string(opset, 1, "");
    varint(opset, 2, OPSET_VERSION);
  });
  return model.finish();
}

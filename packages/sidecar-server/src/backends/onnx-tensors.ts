import {
  type Datatype,
  ErrorCode,
  SidecarError,
  type Tensor,
  type TensorSpec,
} from "@gpu-sidecar/sidecar-core";
import * as ort from "onnxruntime-node";

/**
 * The datatypes the onnx backend moves as raw bytes, with ONNX Runtime's name and typed array.
 * BYTES (ORT `string`) is not among them: ORT takes strings as JS string arrays, a conversion
 * no bundled model needs yet.
 */
const ORT_TYPES = {
  BOOL: { type: "bool", array: Uint8Array },
  UINT8: { type: "uint8", array: Uint8Array },
  UINT16: { type: "uint16", array: Uint16Array },
  UINT32: { type: "uint32", array: Uint32Array },
  UINT64: { type: "uint64", array: BigUint64Array },
  INT8: { type: "int8", array: Int8Array },
  INT16: { type: "int16", array: Int16Array },
  INT32: { type: "int32", array: Int32Array },
  INT64: { type: "int64", array: BigInt64Array },
  FP16: { type: "float16", array: Uint16Array },
  FP32: { type: "float32", array: Float32Array },
  FP64: { type: "float64", array: Float64Array },
} as const satisfies Partial<Record<Datatype, { type: ort.Tensor.Type; array: unknown }>>;

type OrtDatatype = keyof typeof ORT_TYPES;

const DATATYPE_OF_ORT_TYPE = new Map<string, OrtDatatype>(
  Object.entries(ORT_TYPES).map(([datatype, { type }]) => [type, datatype as OrtDatatype]),
);

/**
 * Converts ONNX Runtime's metadata of one input or output into a TensorSpec (symbolic and
 * unknown dimensions become -1), or says why the sidecar cannot serve it.
 */
export function tensorSpecOf(
  model: string,
  metadata: ort.InferenceSession.ValueMetadata,
): TensorSpec {
  const datatype = metadata.isTensor ? DATATYPE_OF_ORT_TYPE.get(metadata.type) : undefined;
  if (!metadata.isTensor || datatype === undefined) {
    throw new SidecarError(
      ErrorCode.Unimplemented,
      `onnx model "${model}": "${metadata.name}" is ` +
        `${metadata.isTensor ? `a ${metadata.type} tensor` : "not a tensor"}; the onnx backend ` +
        `serves tensors of ${Object.values(ORT_TYPES)
          .map(({ type }) => type)
          .join(", ")}`,
    );
  }
  return {
    name: metadata.name,
    datatype,
    shape: metadata.shape.map((dim) => (typeof dim === "number" ? dim : -1)),
  };
}

/**
 * Wraps a Tensor's bytes as an ORT tensor without copying. A typed array must start at a
 * multiple of its element size, so a view at an odd offset (e.g. a slice of a larger request
 * buffer) is copied first; so is shared memory, which another thread could change mid-run.
 */
export function toOrtTensor(tensor: Tensor): ort.Tensor {
  const { type, array } = ORT_TYPES[tensor.datatype as OrtDatatype];
  const { data } = tensor;
  const length = tensor.shape.reduce((product, dim) => product * dim, 1);
  if (data.byteLength !== length * array.BYTES_PER_ELEMENT) {
    throw new SidecarError(
      ErrorCode.InvalidArgument,
      `input "${tensor.name}" holds ${data.byteLength} bytes but its shape ` +
        `[${tensor.shape.join(", ")}] of ${tensor.datatype} needs ${length * array.BYTES_PER_ELEMENT}`,
    );
  }
  // The copy is `new Uint8Array(data)`, never `data.slice()`: a Node Buffer's `slice` is a view
  // of the same memory, whose buffer would be read from its start.
  const elements =
    data.buffer instanceof ArrayBuffer && data.byteOffset % array.BYTES_PER_ELEMENT === 0
      ? new array(data.buffer, data.byteOffset, length)
      : new array(new Uint8Array(data).buffer, 0, length);
  return new ort.Tensor(type, elements, tensor.shape);
}

/** Views an ORT output's typed array as the raw bytes of a Tensor, without copying. */
export function fromOrtTensor(name: string, datatype: Datatype, value: ort.Tensor): Tensor {
  const elements = value.data as ArrayBufferView;
  return {
    name,
    datatype,
    shape: [...value.dims],
    data: new Uint8Array(elements.buffer, elements.byteOffset, elements.byteLength),
  };
}

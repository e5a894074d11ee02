import type { Datatype, Tensor } from "../tensor.js";
import { elementCount } from "./element-count.js";
import { formatShape, invalidArgument } from "./invalid-argument.js";
import { decodeTensorValues, encodeTensor, type TensorInput } from "./tensor-values.js";

/**
 * KServe's typed `InferTensorContents`, with the field names and types protobuf-es v2
 * generates for it. Declared structurally so the codec does not depend on generated code:
 * a generated message is accepted where this is expected, and this object can initialize one.
 */
export interface TensorContents {
  boolContents: boolean[];
  intContents: number[];
  int64Contents: bigint[];
  uintContents: number[];
  uint64Contents: bigint[];
  fp32Contents: number[];
  fp64Contents: number[];
  bytesContents: Uint8Array[];
}

/** The contents field each datatype travels in; FP16 and BF16 have none in KServe. */
export type ContentsField = keyof TensorContents;

const CONTENTS_FIELDS: Readonly<Record<Datatype, ContentsField | undefined>> = {
  BOOL: "boolContents",
  UINT8: "uintContents",
  UINT16: "uintContents",
  UINT32: "uintContents",
  UINT64: "uint64Contents",
  INT8: "intContents",
  INT16: "intContents",
  INT32: "intContents",
  INT64: "int64Contents",
  FP16: undefined,
  BF16: undefined,
  FP32: "fp32Contents",
  FP64: "fp64Contents",
  BYTES: "bytesContents",
};

/** The `InferTensorContents` field that carries a datatype, or undefined for FP16/BF16. */
export function contentsFieldOf(datatype: Datatype): ContentsField | undefined {
  return CONTENTS_FIELDS[datatype];
}

function emptyContents(): TensorContents {
  return {
    boolContents: [],
    intContents: [],
    int64Contents: [],
    uintContents: [],
    uint64Contents: [],
    fp32Contents: [],
    fp64Contents: [],
    bytesContents: [],
  };
}

/** The values a datatype's own contents field holds, or undefined for FP16/BF16. */
function contentsInput(
  name: string,
  datatype: Datatype,
  shape: readonly number[],
  contents: Partial<Readonly<TensorContents>>,
): TensorInput | undefined {
  switch (datatype) {
    case "BOOL":
      return { name, datatype, shape, values: contents.boolContents ?? [] };
    case "UINT8":
    case "UINT16":
    case "UINT32":
      return { name, datatype, shape, values: contents.uintContents ?? [] };
    case "UINT64":
      return { name, datatype, shape, values: contents.uint64Contents ?? [] };
    case "INT8":
    case "INT16":
    case "INT32":
      return { name, datatype, shape, values: contents.intContents ?? [] };
    case "INT64":
      return { name, datatype, shape, values: contents.int64Contents ?? [] };
    case "FP32":
      return { name, datatype, shape, values: contents.fp32Contents ?? [] };
    case "FP64":
      return { name, datatype, shape, values: contents.fp64Contents ?? [] };
    case "BYTES":
      return { name, datatype, shape, values: contents.bytesContents ?? [] };
    case "FP16":
    case "BF16":
      return undefined;
  }
}

function noContentsField(datatype: Datatype, tensorName: string) {
  return invalidArgument(
    tensorName,
    `${datatype} has no InferTensorContents field, expected the tensor in raw_input_contents / raw_output_contents`,
  );
}

/**
 * Raw little-endian data from a tensor's typed `contents`. Only the datatype's own field is
 * read, and it must hold exactly the shape's element count.
 */
export function contentsToTensorData(
  datatype: Datatype,
  shape: readonly number[],
  contents: Partial<Readonly<TensorContents>>,
  tensorName: string,
): Uint8Array {
  const input = contentsInput(tensorName, datatype, shape, contents);
  if (input === undefined) throw noContentsField(datatype, tensorName);
  const count = elementCount(shape, tensorName);
  if (input.values.length !== count) {
    throw invalidArgument(
      tensorName,
      `${CONTENTS_FIELDS[datatype]} has ${input.values.length} values, expected ${count} for shape ${formatShape(shape)} of ${datatype}`,
    );
  }
  return encodeTensor(input).data;
}

/**
 * A tensor's values in the typed `contents` form: the datatype's own field filled, the
 * others empty. FP16 and BF16 cannot be expressed this way and are an error.
 */
export function tensorDataToContents(tensor: Tensor): TensorContents {
  const { name, shape, data } = tensor;
  const contents = emptyContents();
  switch (tensor.datatype) {
    case "BOOL":
      contents.boolContents = decodeTensorValues({ name, shape, data, datatype: "BOOL" });
      break;
    case "UINT8":
    case "UINT16":
    case "UINT32":
      contents.uintContents = Array.from(
        decodeTensorValues({ name, shape, data, datatype: tensor.datatype }),
      );
      break;
    case "UINT64":
      contents.uint64Contents = Array.from(
        decodeTensorValues({ name, shape, data, datatype: "UINT64" }),
      );
      break;
    case "INT8":
    case "INT16":
    case "INT32":
      contents.intContents = Array.from(
        decodeTensorValues({ name, shape, data, datatype: tensor.datatype }),
      );
      break;
    case "INT64":
      contents.int64Contents = Array.from(
        decodeTensorValues({ name, shape, data, datatype: "INT64" }),
      );
      break;
    case "FP32":
      contents.fp32Contents = Array.from(
        decodeTensorValues({ name, shape, data, datatype: "FP32" }),
      );
      break;
    case "FP64":
      contents.fp64Contents = Array.from(
        decodeTensorValues({ name, shape, data, datatype: "FP64" }),
      );
      break;
    case "BYTES":
      contents.bytesContents = decodeTensorValues({ name, shape, data, datatype: "BYTES" });
      break;
    case "FP16":
    case "BF16":
      throw noContentsField(tensor.datatype, name);
  }
  return contents;
}

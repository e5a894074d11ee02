import { isDatatype } from "../codec/datatype-info.js";
import { invalidArgument } from "../codec/invalid-argument.js";
import { contentsToTensorData, type TensorContents } from "../codec/tensor-contents.js";
import type { Tensor } from "../tensor.js";

/** A tensor's metadata as `ModelInferRequest.inputs` and `ModelInferResponse.outputs` hold it. */
export interface MessageTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly bigint[];
  readonly contents?: Partial<Readonly<TensorContents>> | undefined;
}

/** What a list of tensors is on the wire: the metadata, and the bytes in `raw_*_contents`. */
export interface MessageTensors {
  readonly tensors: { name: string; datatype: string; shape: bigint[] }[];
  readonly raw: Uint8Array[];
}

function shapeOf(name: string, shape: readonly bigint[]): number[] {
  return shape.map((dim) => {
    const number = Number(dim);
    if (!Number.isSafeInteger(number) || number < 0) {
      throw invalidArgument(
        name,
        `shape [${shape.join(",")}] has dimension ${dim}, expected a non-negative integer`,
      );
    }
    return number;
  });
}

/**
 * The tensors of a ModelInferRequest's `inputs` / `raw_input_contents` or a
 * ModelInferResponse's `outputs` / `raw_output_contents`: bytes from the raw list (one entry
 * per tensor, in order; views of the decoded message, not copies) or else from each tensor's
 * typed `contents`. `rawField` names the raw list in messages. Throws INVALID_ARGUMENT; a
 * client reading a response reports the same problems as the server's fault.
 */
export function tensorsOfMessage(
  tensors: readonly MessageTensor[],
  raw: readonly Uint8Array[],
  rawField: "raw_input_contents" | "raw_output_contents",
): Tensor[] {
  if (raw.length > 0 && raw.length !== tensors.length) {
    const noun = rawField === "raw_input_contents" ? "input" : "output";
    throw invalidArgument(
      undefined,
      `${raw.length} ${rawField} for ${tensors.length} ${noun}s, expected one per ${noun}`,
    );
  }
  return tensors.map((tensor, index): Tensor => {
    const { name, datatype } = tensor;
    if (!isDatatype(datatype)) {
      throw invalidArgument(name, `datatype ${JSON.stringify(datatype)} is not a KServe datatype`);
    }
    const shape = shapeOf(name, tensor.shape);
    const data = raw[index];
    if (data === undefined) {
      return {
        name,
        datatype,
        shape,
        data: contentsToTensorData(datatype, shape, tensor.contents ?? {}, name),
      };
    }
    if (tensor.contents !== undefined) {
      throw invalidArgument(name, `has both contents and ${rawField}, expected one of them`);
    }
    return { name, datatype, shape, data };
  });
}

/**
 * Tensors as a message carries them: their metadata, and their bytes as they are (no copy) for
 * `raw_input_contents` / `raw_output_contents`, which every Open Inference Protocol peer reads.
 */
export function tensorsToMessage(tensors: readonly Tensor[]): MessageTensors {
  return {
    tensors: tensors.map((tensor) => ({
      name: tensor.name,
      datatype: tensor.datatype,
      shape: tensor.shape.map(BigInt),
    })),
    raw: tensors.map((tensor) => tensor.data),
  };
}

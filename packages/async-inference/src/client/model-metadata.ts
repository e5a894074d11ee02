import {
  type Datatype,
  ErrorCode,
  isDatatype,
  type ModelMetadataResponse,
  type ModelMetadataResponse_TensorMetadata,
  SidecarError,
} from "@gpu-sidecar/sidecar-core";

/** One input or output of a model; `-1` marks a variable dimension. */
export interface TensorMetadata {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

/** A model's signature as the server describes it (`ModelMetadata`). */
export interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
}

function toTensorMetadata(
  tensor: ModelMetadataResponse_TensorMetadata,
  source: string,
): TensorMetadata {
  const { name, datatype } = tensor;
  if (!isDatatype(datatype)) {
    throw new SidecarError(
      ErrorCode.Internal,
      `malformed metadata from ${source}: tensor ${JSON.stringify(name)} has datatype ${JSON.stringify(datatype)}`,
    );
  }
  const shape = tensor.shape.map((dim) => {
    const n = Number(dim);
    if (!Number.isSafeInteger(n) || n < -1) {
      throw new SidecarError(
        ErrorCode.Internal,
        `malformed metadata from ${source}: tensor ${JSON.stringify(name)} has dimension ${dim}`,
      );
    }
    return n;
  });
  return { name, datatype, shape };
}

/** Plain numbers and checked datatypes instead of the wire's bigints and strings. */
export function readModelMetadata(response: ModelMetadataResponse, source: string): ModelMetadata {
  return {
    name: response.name,
    versions: [...response.versions],
    platform: response.platform,
    inputs: response.inputs.map((tensor) => toTensorMetadata(tensor, source)),
    outputs: response.outputs.map((tensor) => toTensorMetadata(tensor, source)),
  };
}

import {
  contentsToTensorData,
  ErrorCode,
  isDatatype,
  type ModelInferResponse,
  SidecarError,
  type Tensor,
  validateTensor,
} from "@gpu-sidecar/sidecar-core";

function malformed(source: string, problem: string, cause?: unknown): SidecarError {
  return new SidecarError(
    ErrorCode.Internal,
    `malformed response from ${source}: ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

function toShape(shape: readonly bigint[], source: string, name: string): number[] {
  return shape.map((dim) => {
    const n = Number(dim);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw malformed(source, `output ${JSON.stringify(name)} has dimension ${dim}`);
    }
    return n;
  });
}

/**
 * The output tensors of a response, in its order. Data comes from `raw_output_contents` when
 * the server used it (as views into the received message, not copies), otherwise from each
 * output's typed `contents`. A response that does not hold together is the server's fault:
 * INTERNAL, never the INVALID_ARGUMENT the codec would say of a request.
 */
export function readInferResponse(response: ModelInferResponse, source: string): Tensor[] {
  const { outputs, rawOutputContents: raw } = response;
  if (raw.length > 0 && raw.length !== outputs.length) {
    throw malformed(source, `${raw.length} raw_output_contents for ${outputs.length} outputs`);
  }
  return outputs.map((output, index) => {
    const { name, datatype } = output;
    if (!isDatatype(datatype)) {
      throw malformed(
        source,
        `output ${JSON.stringify(name)} has datatype ${JSON.stringify(datatype)}`,
      );
    }
    const shape = toShape(output.shape, source, name);
    try {
      const data = raw[index] ?? contentsToTensorData(datatype, shape, output.contents ?? {}, name);
      const tensor: Tensor = { name, datatype, shape, data };
      validateTensor(tensor);
      return tensor;
    } catch (error) {
      throw malformed(source, error instanceof Error ? error.message : String(error), error);
    }
  });
}

import {
  ErrorCode,
  type ModelInferResponse,
  SidecarError,
  type Tensor,
  tensorsOfMessage,
  validateTensor,
} from "@gpu-sidecar/sidecar-core";

/**
 * The output tensors of a response, in its order. Data comes from `raw_output_contents` when
 * the server used it (as views into the received message, not copies), otherwise from each
 * output's typed `contents`. A response that does not hold together is the server's fault:
 * INTERNAL, never the INVALID_ARGUMENT the codec would say of a request.
 */
export function readInferResponse(response: ModelInferResponse, source: string): Tensor[] {
  try {
    const tensors = tensorsOfMessage(
      response.outputs,
      response.rawOutputContents,
      "raw_output_contents",
    );
    for (const tensor of tensors) validateTensor(tensor);
    return tensors;
  } catch (error) {
    throw new SidecarError(
      ErrorCode.Internal,
      `malformed response from ${source}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

import { create } from "@bufbuild/protobuf";
import {
  type InferParameter,
  InferParameterSchema,
  type ModelInferRequest,
  ModelInferRequestSchema,
  type Tensor,
  tensorsToMessage,
  validateTensor,
} from "@gpu-sidecar/sidecar-core";
import type { InferOptions } from "./call-options.js";

/**
 * A `ModelInferRequest` for validated inputs. Tensors travel in `raw_input_contents` (their
 * bytes as they are, no copy), which every Open Inference Protocol server accepts.
 * `id` is echoed by the server; streams use it to match responses.
 */
export function createInferRequest(
  model: string,
  inputs: readonly Tensor[],
  options: InferOptions,
  id = "",
): ModelInferRequest {
  // Malformed tensors fail here, before any endpoint is chosen: INVALID_ARGUMENT is never
  // worth a round trip, and never a reason to fail over.
  for (const input of inputs) validateTensor(input);
  const { tensors, raw } = tensorsToMessage(inputs);
  const request = create(ModelInferRequestSchema, {
    modelName: model,
    modelVersion: options.version ?? "",
    id,
    inputs: tensors,
    outputs: options.outputs?.map((name) => ({ name })) ?? [],
    rawInputContents: raw,
  });
  if (options.priority !== undefined) {
    // uint64, as Triton's own clients send it (Triton accepts it in every version).
    request.parameters.priority = create(InferParameterSchema, {
      parameterChoice: { case: "uint64Param", value: BigInt(options.priority) },
    });
  }
  if (options.timeoutMs !== undefined) setTimeoutParameter(request, options.timeoutMs);
  return request;
}

/**
 * Sets Triton's `timeout` request parameter (int64 microseconds, rounded up so that it never
 * reaches 0), which lets the server's queue expire the request by itself. Called again before
 * each failover attempt with the time left.
 */
export function setTimeoutParameter(request: ModelInferRequest, timeoutMs: number): void {
  const parameter: InferParameter = create(InferParameterSchema, {
    parameterChoice: { case: "int64Param", value: BigInt(Math.ceil(timeoutMs * 1000)) },
  });
  request.parameters.timeout = parameter;
}

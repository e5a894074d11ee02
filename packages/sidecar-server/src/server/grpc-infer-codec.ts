import {
  type InferParameter,
  type InferResponseFields,
  type ModelInferRequest,
  type Tensor,
  tensorsOfMessage,
  tensorsToMessage,
} from "@gpu-sidecar/sidecar-core";
import type { Context } from "@opentelemetry/api";
import type { InferenceSubmission } from "../batching/dynamic-batcher.js";
import type { ServedVersion } from "./model-version.js";
import { readScheduling } from "./request-parameters.js";

function parameterValue(parameter: InferParameter | undefined): unknown {
  return parameter?.parameterChoice.value;
}

/**
 * The batcher submission a ModelInferRequest asks for: inputs from `raw_input_contents` (one per
 * input, in order) or from each input's typed `contents`, the requested outputs (all when none
 * is named), and `priority`/`timeout` lowered to the RPC deadline. The raw bytes are used as
 * views of the decoded message, not copied.
 */
export function decodeInferRequest(
  request: ModelInferRequest,
  deadlineMs: number | undefined,
  signal: AbortSignal,
  trace: Context | undefined,
): InferenceSubmission {
  const inputs = tensorsOfMessage(request.inputs, request.rawInputContents, "raw_input_contents");
  const scheduling = readScheduling((key) => parameterValue(request.parameters[key]), deadlineMs);
  return {
    inputs,
    ...(request.outputs.length > 0 ? { outputs: request.outputs.map((o) => o.name) } : {}),
    ...scheduling,
    signal,
    ...(trace === undefined ? {} : { trace }),
  };
}

/** The ModelInferResponse for `outputs`: data in `raw_output_contents`, as Triton answers. */
export function encodeInferResponse(
  served: ServedVersion,
  id: string,
  outputs: readonly Tensor[],
): InferResponseFields {
  const { tensors, raw } = tensorsToMessage(outputs);
  return {
    modelName: served.name,
    modelVersion: served.version,
    id,
    outputs: tensors,
    rawOutputContents: raw,
  };
}

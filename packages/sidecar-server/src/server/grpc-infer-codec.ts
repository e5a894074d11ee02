import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  contentsToTensorData,
  ErrorCode,
  type InferParameter,
  isDatatype,
  type ModelInferRequest,
  type ModelInferResponseSchema,
  SidecarError,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import type { Context } from "@opentelemetry/api";
import type { InferenceSubmission } from "../batching/dynamic-batcher.js";
import type { ServedVersion } from "./model-version.js";
import { readScheduling } from "./request-parameters.js";

type ModelInferResponseInit = MessageInitShape<typeof ModelInferResponseSchema>;

function invalid(message: string): SidecarError {
  return new SidecarError(ErrorCode.InvalidArgument, message);
}

function parameterValue(parameter: InferParameter | undefined): unknown {
  return parameter?.parameterChoice.value;
}

function shapeOf(name: string, shape: readonly bigint[]): number[] {
  return shape.map((dim) => {
    const number = Number(dim);
    if (!Number.isSafeInteger(number) || number < 0) {
      throw invalid(
        `tensor "${name}": shape [${shape.join(",")}] has dimension ${dim}, expected a non-negative integer`,
      );
    }
    return number;
  });
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
  const raw = request.rawInputContents;
  if (raw.length > 0 && raw.length !== request.inputs.length) {
    throw invalid(
      `raw_input_contents has ${raw.length} entries, expected one per input (${request.inputs.length})`,
    );
  }
  const inputs = request.inputs.map((input, index): Tensor => {
    const { name, datatype } = input;
    if (!isDatatype(datatype)) {
      throw invalid(`tensor "${name}": datatype "${datatype}" is not a KServe datatype`);
    }
    const shape = shapeOf(name, input.shape);
    const data = raw[index];
    if (data !== undefined) {
      if (input.contents !== undefined) {
        throw invalid(
          `tensor "${name}": has both contents and raw_input_contents, expected one of them`,
        );
      }
      return { name, datatype, shape, data };
    }
    return {
      name,
      datatype,
      shape,
      data: contentsToTensorData(datatype, shape, input.contents ?? {}, name),
    };
  });
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
): ModelInferResponseInit {
  return {
    modelName: served.name,
    modelVersion: served.version,
    id,
    outputs: outputs.map((tensor) => ({
      name: tensor.name,
      datatype: tensor.datatype,
      shape: tensor.shape.map(BigInt),
    })),
    rawOutputContents: outputs.map((tensor) => tensor.data),
  };
}

import {
  buildBinaryExtensionBody,
  decodeRestTensor,
  ErrorCode,
  encodeRestTensor,
  parseBinaryExtensionBody,
  type RestTensorJson,
  SidecarError,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import type { Context } from "@opentelemetry/api";
import type { InferenceSubmission } from "../batching/dynamic-batcher.js";
import type { ServedVersion } from "./model-version.js";
import { readScheduling } from "./request-parameters.js";

/** A REST inference request taken apart. */
export interface RestInferRequest {
  readonly id: string | undefined;
  readonly submission: InferenceSubmission;
  /** Whether an output goes back in the binary-data extension rather than as JSON `data`. */
  readonly binaryOutput: (name: string) => boolean;
}

/** A REST inference response body with its headers. */
export interface RestInferResponse {
  readonly body: Uint8Array;
  readonly contentType: string;
  /** The `Inference-Header-Content-Length` value when the body uses the binary extension. */
  readonly headerLength: number | undefined;
}

type JsonObject = Readonly<Record<string, unknown>>;

function invalid(message: string): SidecarError {
  return new SidecarError(ErrorCode.InvalidArgument, message);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalObject(value: unknown, what: string): JsonObject {
  if (value === undefined) return {};
  if (!isObject(value)) throw invalid(`${what} must be a JSON object`);
  return value;
}

function parseJsonHeader(body: Uint8Array): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString());
  } catch (error) {
    throw invalid(`request body is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw invalid("request body must be a JSON object with `inputs`");
  return parsed;
}

/**
 * Reads a KServe v2 REST inference request: plain JSON, or the binary-data extension when
 * `headerLength` (the `Inference-Header-Content-Length` header) is given. Tensors go through
 * the codec; `outputs` (by name, optionally with `parameters.binary_data`) select what comes
 * back, and `parameters` may carry `priority`, `timeout` (µs) and `binary_data_output`.
 */
export function decodeRestInferRequest(
  body: Uint8Array,
  headerLength: number | undefined,
  signal: AbortSignal,
  trace?: Context | undefined,
): RestInferRequest {
  let header: JsonObject;
  let inputData: readonly (Uint8Array | undefined)[] = [];
  if (headerLength === undefined) {
    header = parseJsonHeader(body);
  } else {
    const parsed = parseBinaryExtensionBody(body, headerLength);
    header = parsed.header;
    inputData = parsed.inputData;
  }
  const { id, inputs, outputs } = header;
  if (id !== undefined && typeof id !== "string") throw invalid("`id` must be a string");
  if (!Array.isArray(inputs)) throw invalid("`inputs` must be an array of tensors");
  if (outputs !== undefined && !Array.isArray(outputs)) {
    throw invalid("`outputs` must be an array of {name, parameters}");
  }
  const parameters = optionalObject(header.parameters, "`parameters`");
  const binaryByDefault = parameters.binary_data_output === true;
  const binaryByName = new Map<string, boolean>();
  const outputNames = (outputs ?? []).map((output: unknown, index) => {
    if (!isObject(output) || typeof output.name !== "string") {
      throw invalid(`outputs[${index}] must be an object with a string \`name\``);
    }
    const binary = optionalObject(output.parameters, `outputs[${index}].parameters`).binary_data;
    if (typeof binary === "boolean") binaryByName.set(output.name, binary);
    return output.name;
  });
  const tensors = inputs.map((input: unknown, index) => decodeRestTensor(input, inputData[index]));
  return {
    id,
    submission: {
      inputs: tensors,
      ...(outputNames.length > 0 ? { outputs: outputNames } : {}),
      ...readScheduling((key) => parameters[key], undefined),
      signal,
      ...(trace === undefined ? {} : { trace }),
    },
    binaryOutput: (name) => binaryByName.get(name) ?? binaryByDefault,
  };
}

/**
 * The REST answer for `outputs`: JSON, or the binary-data extension when any output is asked
 * for in binary (those carry `binary_data_size` and follow the JSON header, in order).
 */
export function encodeRestInferResponse(
  served: ServedVersion,
  request: RestInferRequest,
  outputs: readonly Tensor[],
): RestInferResponse {
  const binaryParts: Uint8Array[] = [];
  const tensors: RestTensorJson[] = outputs.map((tensor) => {
    const binaryData = request.binaryOutput(tensor.name);
    if (binaryData) binaryParts.push(tensor.data);
    return encodeRestTensor(tensor, { binaryData });
  });
  const header = {
    model_name: served.name,
    model_version: served.version,
    ...(request.id === undefined ? {} : { id: request.id }),
    outputs: tensors,
  };
  if (binaryParts.length === 0) {
    return {
      body: Buffer.from(JSON.stringify(header)),
      contentType: "application/json",
      headerLength: undefined,
    };
  }
  const built = buildBinaryExtensionBody(header, binaryParts);
  return {
    body: built.body,
    contentType: "application/octet-stream",
    headerLength: built.headerLength,
  };
}

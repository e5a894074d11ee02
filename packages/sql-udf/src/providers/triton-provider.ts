import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { InferContext, ModelMetadata, TensorMetadata } from "@gpu-sidecar/async-inference";
import {
  decodeRestTensor,
  ErrorCode,
  encodeRestTensor,
  isDatatype,
  SidecarError,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import type { OptionValues } from "../options/option-table.js";
import type { TRITON_OPTIONS } from "../options/triton-options.js";
import type { ModelProvider } from "./model-provider.js";

const gzipAsync = promisify(gzip);

type TritonValues = OptionValues<typeof TRITON_OPTIONS>;

/** HTTP statuses of KServe v2 REST errors, read back as the client's error codes. */
function codeOfStatus(status: number): ErrorCode {
  if (status === 400) return ErrorCode.InvalidArgument;
  if (status === 401 || status === 403) return ErrorCode.FailedPrecondition;
  if (status === 404) return ErrorCode.NotFound;
  if (status === 408 || status === 504) return ErrorCode.DeadlineExceeded;
  if (status === 429) return ErrorCode.ResourceExhausted;
  if (status === 503) return ErrorCode.Unavailable;
  return ErrorCode.Internal;
}

function unreachable(url: string, error: unknown): SidecarError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error).message;
  if ((error as Error).name === "TimeoutError") {
    return new SidecarError(ErrorCode.DeadlineExceeded, `${url} did not answer in time`, {
      cause: error,
    });
  }
  return new SidecarError(ErrorCode.Unavailable, `cannot reach ${url}: ${reason}`, {
    cause: error,
  });
}

async function failure(response: Response, url: string): Promise<SidecarError> {
  const text = await response.text().catch(() => "");
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === "string") message = body.error;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return new SidecarError(
    codeOfStatus(response.status),
    `${url} answered HTTP ${response.status}: ${message || response.statusText}`,
  );
}

function readTensorMetadata(json: unknown, source: string): TensorMetadata {
  const tensor = json as { name?: unknown; datatype?: unknown; shape?: unknown };
  if (
    typeof tensor.name !== "string" ||
    !isDatatype(tensor.datatype) ||
    !Array.isArray(tensor.shape) ||
    !tensor.shape.every((dim) => Number.isSafeInteger(dim) && dim >= -1)
  ) {
    throw new SidecarError(ErrorCode.Internal, `malformed model metadata from ${source}`);
  }
  return { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape as number[] };
}

/**
 * Flink's Triton provider, request for request: one `POST {endpoint}/{model}/versions/{version}/infer`
 * per row with a JSON body of one input named after the column in upper case and one requested
 * output, gzip when `compression` says so, bearer token and custom headers, the request's
 * `id` from `sequence-id` and `priority` / `sequence_start` / `sequence_end` parameters.
 */
export function createTritonProvider(options: TritonValues): ModelProvider {
  const endpoint = options.endpoint as string;
  const model = options["model-name"] as string;
  const version = options["model-version"] ?? "latest";
  const timeoutMs = options.timeout ?? 30_000;
  const base = `${endpoint}/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}`;
  const inferUrl = `${base}/infer`;
  const headers: Record<string, string> = { ...(options["custom-headers"] ?? {}) };
  if (options["auth-token"] !== undefined)
    headers.Authorization = `Bearer ${options["auth-token"]}`;
  const parameters: Record<string, unknown> = {};
  if (options.priority !== undefined) parameters.priority = options.priority;
  if (options["sequence-start"] === true) parameters.sequence_start = true;
  if (options["sequence-end"] === true) parameters.sequence_end = true;

  async function post(body: string, signal: AbortSignal): Promise<Response> {
    const requestHeaders: Record<string, string> = {
      ...headers,
      "Content-Type": "application/json; charset=utf-8",
    };
    let payload: string | Uint8Array = body;
    if (options.compression === "gzip") {
      payload = await gzipAsync(body);
      requestHeaders["Content-Encoding"] = "gzip";
    }
    try {
      return await fetch(inferUrl, {
        method: "POST",
        headers: requestHeaders,
        body: payload,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (error) {
      throw unreachable(inferUrl, error);
    }
  }

  return {
    endpoint,
    wireName: (column) => column.toUpperCase(),
    batch: undefined,

    async metadata(signal) {
      let response: Response;
      try {
        response = await fetch(base, {
          headers,
          signal:
            signal === undefined
              ? AbortSignal.timeout(timeoutMs)
              : AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
      } catch (error) {
        throw unreachable(base, error);
      }
      if (!response.ok) throw await failure(response, base);
      const body = (await response.json()) as Record<string, unknown>;
      const inputs = Array.isArray(body.inputs) ? body.inputs : [];
      const outputs = Array.isArray(body.outputs) ? body.outputs : [];
      return {
        name: String(body.name ?? model),
        versions: Array.isArray(body.versions) ? body.versions.map(String) : [],
        platform: String(body.platform ?? ""),
        inputs: inputs.map((tensor) => readTensorMetadata(tensor, base)),
        outputs: outputs.map((tensor) => readTensorMetadata(tensor, base)),
      } satisfies ModelMetadata;
    },

    inferFunction: (outputs) => async (inputs: Tensor[], context: InferContext) => {
      const request: Record<string, unknown> = {};
      if (options["sequence-id"] !== undefined) request.id = options["sequence-id"];
      if (Object.keys(parameters).length > 0) request.parameters = parameters;
      request.inputs = inputs.map((tensor) => {
        const json = encodeRestTensor(tensor);
        const shape = json.shape;
        if (options["flatten-batch-dim"] === true && shape.length > 1 && shape[0] === 1) {
          json.shape = shape.slice(1);
        }
        return json;
      });
      request.outputs = outputs.map((name) => ({ name }));
      const response = await post(JSON.stringify(request), context.signal);
      if (!response.ok) throw await failure(response, inferUrl);
      const body = (await response.json()) as { outputs?: unknown };
      if (!Array.isArray(body.outputs)) {
        throw new SidecarError(ErrorCode.Internal, `${inferUrl} answered without outputs`);
      }
      return body.outputs.map((output) => decodeRestTensor(output));
    },

    async close() {},
  };
}

import {
  ErrorCode,
  type ModelLoadRequest,
  type OnnxRuntimeOptions,
  parseOnnxRuntimeOptions,
  SidecarError,
} from "@gpu-sidecar/sidecar-core";

/** The onnx backend's settings, read from `ModelLoadRequest.parameters`. */
export interface OnnxParameters {
  /**
   * `execution_providers`, in order of preference, by onnxruntime-node's names (`cuda`,
   * `tensorrt`, `cpu`, ...). Default `["cpu"]`.
   */
  readonly executionProviders: readonly string[];
  /**
   * `allow_cpu_fallback`: when an accelerator provider cannot load, run on the CPU with a warning
   * instead of failing the load. Default false: a GPU deployment that silently runs on the CPU
   * is a production incident that looks like a slow model.
   */
  readonly allowCpuFallback: boolean;
  /** `onnxruntime`: session and provider options, validated as the model config validates them. */
  readonly onnxruntime: OnnxRuntimeOptions;
}

export function parseOnnxParameters(request: ModelLoadRequest): OnnxParameters {
  const {
    execution_providers: providers = ["cpu"],
    allow_cpu_fallback: fallback = false,
    onnxruntime = {},
  } = request.parameters;
  const model = `onnx model "${request.name}" version ${request.version}`;
  const invalid = (what: string) =>
    new SidecarError(ErrorCode.InvalidArgument, `${model}: ${what}`);
  if (
    !Array.isArray(providers) ||
    providers.length === 0 ||
    !providers.every((provider: unknown) => typeof provider === "string" && provider !== "")
  ) {
    throw invalid('execution_providers must be a non-empty list of names, e.g. ["cuda", "cpu"]');
  }
  if (typeof fallback !== "boolean") throw invalid("allow_cpu_fallback must be true or false");
  return {
    executionProviders: providers as string[],
    allowCpuFallback: fallback,
    onnxruntime: parseOnnxRuntimeOptions(onnxruntime, `${model}: onnxruntime`),
  };
}

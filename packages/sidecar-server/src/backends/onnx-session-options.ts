import type {
  CudaProviderOptions,
  InstanceDevice,
  OnnxRuntimeOptions,
  TensorRtProviderOptions,
} from "@gpu-sidecar/sidecar-core";
import type { InferenceSession } from "onnxruntime-node";

type SessionOptions = InferenceSession.SessionOptions;
type ProviderConfig = InferenceSession.ExecutionProviderConfig;

/** What one instance's session is created with, and what of it this onnxruntime-node ignores. */
export interface OnnxSessionPlan {
  readonly options: SessionOptions;
  /** Provider names in order, for messages and the CPU-fallback decision. */
  readonly providers: readonly string[];
  /**
   * Model config keys that reach `InferenceSession.create` but that the pinned onnxruntime-node
   * (1.30) does not apply: its binding hands the CUDA and TensorRT providers only `deviceId`.
   */
  readonly notApplied: readonly string[];
}

const flag = (value: boolean): string => (value ? "1" : "0");

/** The CUDA provider's options as onnxruntime's string-keyed provider options spell them. */
function cudaEntries(options: CudaProviderOptions): Record<string, string> {
  const entries: Record<string, string> = {};
  if (options.gpu_mem_limit !== undefined) entries.gpu_mem_limit = String(options.gpu_mem_limit);
  if (options.arena_extend_strategy !== undefined) {
    entries.arena_extend_strategy = options.arena_extend_strategy;
  }
  if (options.cudnn_conv_algo_search !== undefined) {
    entries.cudnn_conv_algo_search = options.cudnn_conv_algo_search;
  }
  if (options.do_copy_in_default_stream !== undefined) {
    entries.do_copy_in_default_stream = flag(options.do_copy_in_default_stream);
  }
  return entries;
}

/** Triton's TensorRT settings as onnxruntime's TensorRT provider options spell them. */
function tensorrtEntries(options: TensorRtProviderOptions): Record<string, string> {
  const entries: Record<string, string> = {};
  if (options.precision_mode !== undefined) {
    entries.trt_fp16_enable = flag(options.precision_mode === "FP16");
    entries.trt_int8_enable = flag(options.precision_mode === "INT8");
  }
  if (options.trt_engine_cache_path !== undefined) {
    entries.trt_engine_cache_enable = "1";
    entries.trt_engine_cache_path = options.trt_engine_cache_path;
  } else if (options.trt_engine_cache_enable !== undefined) {
    entries.trt_engine_cache_enable = flag(options.trt_engine_cache_enable);
  }
  return entries;
}

/**
 * The session options of one instance: the model's onnxruntime options, and its execution
 * providers placed on the instance's device. A GPU instance gets `deviceId` (its CUDA device
 * number) in the CUDA and TensorRT provider options; a CPU instance runs on the CPU provider
 * only; a request without a device keeps the providers as configured (onnxruntime's device 0).
 */
export function onnxSessionPlan(
  executionProviders: readonly string[],
  runtime: OnnxRuntimeOptions,
  device: InstanceDevice | undefined,
): OnnxSessionPlan {
  const providers = device?.kind === "cpu" ? ["cpu"] : executionProviders;
  const notApplied: string[] = [];
  const withOptions = (name: string, section: "cuda" | "tensorrt"): ProviderConfig => {
    const entries =
      section === "cuda"
        ? cudaEntries(runtime.cuda ?? {})
        : tensorrtEntries(runtime.tensorrt ?? {});
    for (const key of Object.keys(runtime[section] ?? {})) {
      notApplied.push(`onnxruntime.${section}.${key}`);
    }
    // The binding reads `deviceId`; the string entries are onnxruntime's own option names.
    const placed = device?.kind === "gpu" ? { deviceId: device.cudaDevice } : {};
    return { name, ...placed, ...entries } as ProviderConfig;
  };
  const executionProviderConfigs = providers.map((name): ProviderConfig => {
    if (name === "cuda") return withOptions(name, "cuda");
    if (name === "tensorrt") return withOptions(name, "tensorrt");
    return name;
  });

  const options: SessionOptions = { executionProviders: executionProviderConfigs };
  if (runtime.intra_op_thread_count !== undefined) {
    options.intraOpNumThreads = runtime.intra_op_thread_count;
  }
  if (runtime.inter_op_thread_count !== undefined) {
    options.interOpNumThreads = runtime.inter_op_thread_count;
  }
  if (runtime.graph_optimization_level !== undefined) {
    options.graphOptimizationLevel = runtime.graph_optimization_level;
  }
  if (runtime.execution_mode !== undefined) options.executionMode = runtime.execution_mode;
  if (runtime.enable_mem_arena !== undefined) options.enableCpuMemArena = runtime.enable_mem_arena;
  if (runtime.enable_mem_pattern !== undefined) {
    options.enableMemPattern = runtime.enable_mem_pattern;
  }
  if (runtime.allow_spinning !== undefined) {
    // Session config entries; the Node binding flattens `extra` into dotted keys.
    const spinning = { allow_spinning: flag(runtime.allow_spinning) };
    options.extra = { session: { intra_op: spinning, inter_op: spinning } };
  }
  return { options, providers, notApplied };
}

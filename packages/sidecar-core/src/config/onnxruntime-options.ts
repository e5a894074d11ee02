import { z } from "zod";
import { countSchema as count } from "./count-schema.js";
import { parseConfig } from "./parse-config.js";
import { strictSection } from "./strict-section.js";

/** onnxruntime's graph optimization levels, by the names of its JavaScript API. */
export const GRAPH_OPTIMIZATION_LEVELS = [
  "disabled",
  "basic",
  "extended",
  "layout",
  "all",
] as const;
export const EXECUTION_MODES = ["sequential", "parallel"] as const;
/** The CUDA provider's `arena_extend_strategy` values. */
export const ARENA_EXTEND_STRATEGIES = ["kNextPowerOfTwo", "kSameAsRequested"] as const;
/** The CUDA provider's `cudnn_conv_algo_search` values. */
export const CUDNN_CONV_ALGO_SEARCHES = ["EXHAUSTIVE", "HEURISTIC", "DEFAULT"] as const;
/** Triton's `precision_mode` of the TensorRT accelerator. */
export const TENSORRT_PRECISION_MODES = ["FP32", "FP16", "INT8"] as const;

/** CUDA execution provider options, named as onnxruntime and Triton's ORT backend name them. */
const cudaOptionsSchema = strictSection({
  /** Bytes the provider's arena may hold on the device. */
  gpu_mem_limit: count(1).optional(),
  arena_extend_strategy: z.enum(ARENA_EXTEND_STRATEGIES).optional(),
  cudnn_conv_algo_search: z.enum(CUDNN_CONV_ALGO_SEARCHES).optional(),
  do_copy_in_default_stream: z.boolean().optional(),
});

/** TensorRT execution provider options, named as Triton's ORT backend names them. */
const tensorrtOptionsSchema = strictSection({
  precision_mode: z.enum(TENSORRT_PRECISION_MODES).optional(),
  trt_engine_cache_enable: z.boolean().optional(),
  /** Where built engines are kept; setting it turns the cache on. */
  trt_engine_cache_path: z.string().min(1).optional(),
}).superRefine((options, ctx) => {
  if (options.trt_engine_cache_path !== undefined && options.trt_engine_cache_enable === false) {
    ctx.addIssue({
      code: "custom",
      path: ["trt_engine_cache_path"],
      input: options.trt_engine_cache_path,
      message: "the engine cache is off (trt_engine_cache_enable: false): remove one of the two",
    });
  }
});

/**
 * A model's onnxruntime session options (the `onnxruntime` section of an onnx model's config),
 * named as Triton's ORT backend names them where it has a name. An absent key keeps
 * onnxruntime's own default.
 */
export const onnxRuntimeOptionsSchema = strictSection({
  /** Threads inside one operator; 0 lets onnxruntime choose (one per physical core). */
  intra_op_thread_count: count(0).optional(),
  /** Threads across operators, used by execution_mode "parallel"; 0 lets onnxruntime choose. */
  inter_op_thread_count: count(0).optional(),
  /**
   * Whether idle pool threads spin waiting for work (`session.intra_op.allow_spinning` and
   * `session.inter_op.allow_spinning`; onnxruntime's default is on). Triton has no name for it.
   */
  allow_spinning: z.boolean().optional(),
  /** Triton: `optimization.graph.level`. */
  graph_optimization_level: z.enum(GRAPH_OPTIMIZATION_LEVELS).optional(),
  execution_mode: z.enum(EXECUTION_MODES).optional(),
  /** The CPU memory arena. */
  enable_mem_arena: z.boolean().optional(),
  enable_mem_pattern: z.boolean().optional(),
  cuda: cudaOptionsSchema.optional(),
  tensorrt: tensorrtOptionsSchema.optional(),
});

export type OnnxRuntimeOptions = z.output<typeof onnxRuntimeOptionsSchema>;
export type CudaProviderOptions = NonNullable<OnnxRuntimeOptions["cuda"]>;
export type TensorRtProviderOptions = NonNullable<OnnxRuntimeOptions["tensorrt"]>;

/**
 * Validates an `onnxruntime` section; `source` prefixes every issue. Throws a ConfigError
 * naming each wrong key, its value and what is allowed.
 */
export function parseOnnxRuntimeOptions(input: unknown, source: string): OnnxRuntimeOptions {
  return parseConfig(onnxRuntimeOptionsSchema, input, () => source);
}

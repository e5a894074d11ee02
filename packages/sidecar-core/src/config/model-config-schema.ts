import { z } from "zod";
import { DATATYPES } from "../tensor.js";
import { parseConfig } from "./parse-config.js";
import { strictSection } from "./strict-section.js";
import { versionPolicySchema } from "./version-policy.js";

export const MODEL_BACKENDS = ["onnx", "mock"] as const;
export type ModelBackendName = (typeof MODEL_BACKENDS)[number];

/** onnxruntime execution providers, in the order a model config may prefer them. */
export const EXECUTION_PROVIDERS = ["cuda", "cpu", "tensorrt"] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

const MiB = 1024 * 1024;

function count(min: number) {
  return z.int().min(min).max(Number.MAX_SAFE_INTEGER);
}

function distinct<T>(values: readonly T[]): boolean {
  return new Set(values).size === values.length;
}

/** A declared input or output; `-1` marks a variable dimension, the batch dimension included. */
export const tensorSpecSchema = strictSection({
  name: z.string().min(1),
  datatype: z.enum(DATATYPES),
  shape: z.array(z.int().min(-1)),
});

const dynamicBatchingSchema = strictSection({
  max_queue_delay_us: count(0).default(1000),
  preferred_batch_sizes: z
    .array(count(1))
    .refine(distinct, { error: "must not list a size twice" })
    .default(() => []),
  max_queue_size: count(1).default(1024),
  max_queue_bytes: count(1).default(256 * MiB),
  priority_levels: count(1).default(1),
  default_priority: count(1).optional(),
  default_timeout_us: count(0).default(0),
})
  .superRefine((batching, ctx) => {
    const { default_priority, priority_levels } = batching;
    if (default_priority !== undefined && default_priority > priority_levels) {
      ctx.addIssue({
        code: "custom",
        path: ["default_priority"],
        input: default_priority,
        message: `must be between 1 and priority_levels (${priority_levels}); 1 is the highest priority`,
      });
    }
  })
  // Unlabelled requests get the lowest priority, so that setting `priority_levels` alone lets
  // callers promote urgent work without demoting everything else.
  .transform(({ default_priority, ...batching }) => ({
    ...batching,
    default_priority: default_priority ?? batching.priority_levels,
  }));

const inputPaddingSchema = strictSection({
  /** Index into the request shape (batch dimension first) of the variable dimension to pad. */
  dimension: count(0),
  value: z.number().default(0),
  /** Requests longer than this are rejected, so padding never grows a batch without bound. */
  max_length: count(1),
});

const commonShape = {
  version_policy: versionPolicySchema.prefault({ latest: { num_versions: 1 } }),
  instances: count(1).default(1),
  max_batch_size: count(0).default(32),
  dynamic_batching: dynamicBatchingSchema.prefault({}),
  input_padding: z.record(z.string().min(1), inputPaddingSchema).default(() => ({})),
  parameters: z.record(z.string(), z.unknown()).default(() => ({})),
};

const onnxModelConfigSchema = strictSection({
  backend: z.literal("onnx").default("onnx"),
  ...commonShape,
  execution_providers: z
    .array(z.enum(EXECUTION_PROVIDERS))
    .min(1)
    .refine(distinct, { error: "must not list a provider twice" })
    .default((): ExecutionProvider[] => ["cpu"]),
  allow_cpu_fallback: z.boolean().default(false),
});

const mockModelConfigSchema = strictSection({
  backend: z.literal("mock"),
  ...commonShape,
  mock: strictSection({
    fixed_latency_us: count(0).default(0),
    per_row_latency_us: count(0).default(0),
    // A mock has no model file to read its signature from.
    inputs: z.array(tensorSpecSchema).optional(),
    outputs: z.array(tensorSpecSchema).optional(),
  }).prefault({}),
});

type AnyModelConfig =
  | z.output<typeof onnxModelConfigSchema>
  | z.output<typeof mockModelConfigSchema>;
type TensorSpecConfig = z.output<typeof tensorSpecSchema>;
type Ctx = z.core.$RefinementCtx;

function checkPreferredSizes(config: AnyModelConfig, ctx: Ctx): void {
  const max = config.max_batch_size;
  config.dynamic_batching.preferred_batch_sizes.forEach((size, index) => {
    if (size <= max) return;
    ctx.addIssue({
      code: "custom",
      path: ["dynamic_batching", "preferred_batch_sizes", index],
      input: size,
      message:
        max === 0
          ? "this model does not batch (max_batch_size 0): remove preferred_batch_sizes or raise max_batch_size"
          : `must be at most max_batch_size (${max})`,
    });
  });
}

function checkDeclaredTensors(
  list: "inputs" | "outputs",
  specs: readonly TensorSpecConfig[],
  batching: boolean,
  ctx: Ctx,
): void {
  const seen = new Set<string>();
  specs.forEach((spec, index) => {
    if (seen.has(spec.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["mock", list, index, "name"],
        input: spec.name,
        message: `another entry of mock.${list} already has this name`,
      });
    }
    seen.add(spec.name);
    if (batching && spec.shape[0] !== -1) {
      ctx.addIssue({
        code: "custom",
        path: ["mock", list, index, "shape"],
        input: spec.shape,
        message:
          "the first dimension of a batching model (max_batch_size > 0) is the batch dimension and must be -1",
      });
    }
  });
}

function checkPadding(
  config: AnyModelConfig,
  declaredInputs: readonly TensorSpecConfig[] | undefined,
  ctx: Ctx,
): void {
  for (const [name, padding] of Object.entries(config.input_padding)) {
    if (config.max_batch_size === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["input_padding", name],
        input: padding,
        message:
          "padding only lets requests share a batch, and this model does not batch (max_batch_size 0): remove it or raise max_batch_size",
      });
      continue;
    }
    if (padding.dimension === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["input_padding", name, "dimension"],
        input: padding.dimension,
        message: "dimension 0 is the batch dimension; pad a variable dimension (1 or more)",
      });
      continue;
    }
    if (declaredInputs === undefined) continue;
    const spec = declaredInputs.find((input) => input.name === name);
    if (spec === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["input_padding", name],
        input: padding,
        message: `no input in mock.inputs has this name; declared: ${declaredInputs.map((input) => input.name).join(", ") || "none"}`,
      });
    } else if (spec.shape[padding.dimension] !== -1) {
      ctx.addIssue({
        code: "custom",
        path: ["input_padding", name, "dimension"],
        input: padding.dimension,
        message: `must index a variable (-1) dimension of the declared shape ${JSON.stringify(spec.shape)}`,
      });
    }
  }
}

/**
 * The settings of one model, the content of `<repo>/<model>/config.json`. `backend` selects
 * the variant, so backend-specific keys (`execution_providers`, `mock`) are only accepted
 * where they mean something.
 */
export const modelConfigSchema = z
  .discriminatedUnion("backend", [onnxModelConfigSchema, mockModelConfigSchema], {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `expected one of ${MODEL_BACKENDS.map((name) => JSON.stringify(name)).join(", ")}`
        : undefined,
  })
  .superRefine((config, ctx) => {
    checkPreferredSizes(config, ctx);
    const declared = config.backend === "mock" ? config.mock : undefined;
    const batching = config.max_batch_size > 0;
    if (declared?.inputs !== undefined)
      checkDeclaredTensors("inputs", declared.inputs, batching, ctx);
    if (declared?.outputs !== undefined)
      checkDeclaredTensors("outputs", declared.outputs, batching, ctx);
    checkPadding(config, declared?.inputs, ctx);
  });

export type ModelConfig = z.output<typeof modelConfigSchema>;
export type ModelConfigInput = z.input<typeof modelConfigSchema>;
export type OnnxModelConfig = Extract<ModelConfig, { backend: "onnx" }>;
export type MockModelConfig = Extract<ModelConfig, { backend: "mock" }>;
export type MockSettings = MockModelConfig["mock"];
export type DynamicBatchingConfig = ModelConfig["dynamic_batching"];
export type InputPaddingConfig = z.output<typeof inputPaddingSchema>;

/**
 * Validates one model's settings; `source` (usually the config.json path) prefixes every
 * issue. Throws a ConfigError listing every issue.
 */
export function parseModelConfig(input: unknown, source: string): ModelConfig {
  return parseConfig(modelConfigSchema, input, () => source);
}

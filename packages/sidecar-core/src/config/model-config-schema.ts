import { z } from "zod";
import { DATATYPES } from "../tensor.js";
import { countSchema as count, MiB } from "./count-schema.js";
import {
  type InstanceGroupConfig,
  type InstanceKind,
  instanceGroupSchema,
} from "./instance-group.js";
import { onnxRuntimeOptionsSchema } from "./onnxruntime-options.js";
import { parseConfig } from "./parse-config.js";
import { strictSection } from "./strict-section.js";
import { versionPolicySchema } from "./version-policy.js";

export const MODEL_BACKENDS = ["onnx", "mock"] as const;
export type ModelBackendName = (typeof MODEL_BACKENDS)[number];

/**
 * Where a model's batches run: `worker`, each instance a worker thread of its own (off the event
 * loop); `inline`, on the sidecar's event loop, saving the hand-off to a thread per batch, for a
 * model whose batches cost less than that hand-off.
 */
export const EXECUTOR_MODES = ["worker", "inline"] as const;
export type ExecutorMode = (typeof EXECUTOR_MODES)[number];

/** onnxruntime execution providers, in the order a model config may prefer them. */
export const EXECUTION_PROVIDERS = ["cuda", "cpu", "tensorrt"] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** Providers that run on a GPU, and so need an instance of kind "gpu" (a device to run on). */
const GPU_PROVIDERS: readonly ExecutionProvider[] = ["cuda", "tensorrt"];

function distinct<T>(values: readonly T[]): boolean {
  return new Set(values).size === values.length;
}

/** A declared input or output; `-1` marks a variable dimension, the batch dimension included. */
export const tensorSpecSchema = strictSection({
  name: z.string().min(1),
  datatype: z.enum(DATATYPES),
  shape: z.array(z.int().min(-1)),
});

/**
 * Padding of one input along one variable axis, so that requests of different lengths share a
 * batch (Triton cannot, #3395).
 */
const inputPaddingSchema = strictSection({
  /** Index into the request shape (batch dimension first) of the variable axis to pad. */
  axis: count(0),
  value: z.number().default(0),
  /** Pad to this fixed length (longer requests are rejected); absent: to the batch's longest. */
  max_length: count(1).optional(),
  /** Outputs that carry the padded length, by name, with their axis: cut back per request. */
  outputs: z.record(z.string().min(1), count(0)).default(() => ({})),
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
  padding: z.record(z.string().min(1), inputPaddingSchema).default(() => ({})),
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
  // Unlabelled requests sit in the middle level (rounded towards lower priority), so callers
  // can both promote and demote work relative to them.
  .transform(({ default_priority, ...batching }) => ({
    ...batching,
    default_priority: default_priority ?? Math.ceil((batching.priority_levels + 1) / 2),
  }));

const commonShape = {
  version_policy: versionPolicySchema.prefault({ latest: { num_versions: 1 } }),
  /**
   * The short form of `instance_group: [{ count: instances }]` with the model's default kind
   * (kept from before instance groups); set one or the other.
   */
  instances: count(1).optional(),
  /** Triton's instance_group; absent: one group of the default kind (see `defaultKind`). */
  instance_group: z.array(instanceGroupSchema).min(1).optional(),
  executor: z.enum(EXECUTOR_MODES).default("worker"),
  max_batch_size: count(0).default(32),
  dynamic_batching: dynamicBatchingSchema.prefault({}),
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
  onnxruntime: onnxRuntimeOptionsSchema.prefault({}),
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

/** Checks a padded axis: never the batch axis, and a variable (-1) one where shapes are declared. */
function checkPaddedAxis(
  target: { readonly name: string; readonly axis: number; readonly list: "inputs" | "outputs" },
  paths: { readonly name: PropertyKey[]; readonly axis: PropertyKey[] },
  declared: readonly TensorSpecConfig[] | undefined,
  ctx: Ctx,
): void {
  if (target.axis === 0) {
    ctx.addIssue({
      code: "custom",
      path: paths.axis,
      input: target.axis,
      message: "axis 0 is the batch dimension; pad a variable axis (1 or more)",
    });
    return;
  }
  if (declared === undefined) return;
  const spec = declared.find((tensor) => tensor.name === target.name);
  if (spec === undefined) {
    const names = declared.map((tensor) => tensor.name).join(", ") || "none";
    ctx.addIssue({
      code: "custom",
      path: paths.name,
      input: target.name,
      message: `mock.${target.list} declares no ${JSON.stringify(target.name)}; declared: ${names}`,
    });
  } else if (spec.shape[target.axis] !== -1) {
    ctx.addIssue({
      code: "custom",
      path: paths.axis,
      input: target.axis,
      message: `must index a variable (-1) axis of ${JSON.stringify(target.name)}'s declared shape ${JSON.stringify(spec.shape)}`,
    });
  }
}

function checkPadding(config: AnyModelConfig, ctx: Ctx): void {
  const declared = config.backend === "mock" ? config.mock : undefined;
  for (const [name, padding] of Object.entries(config.dynamic_batching.padding)) {
    const path = ["dynamic_batching", "padding", name];
    if (config.max_batch_size === 0) {
      ctx.addIssue({
        code: "custom",
        path,
        input: padding,
        message:
          "padding only lets requests share a batch, and this model does not batch (max_batch_size 0): remove it or raise max_batch_size",
      });
      continue;
    }
    checkPaddedAxis(
      { name, axis: padding.axis, list: "inputs" },
      { name: path, axis: [...path, "axis"] },
      declared?.inputs,
      ctx,
    );
    for (const [output, axis] of Object.entries(padding.outputs)) {
      const outputPath = [...path, "outputs", output];
      checkPaddedAxis(
        { name: output, axis, list: "outputs" },
        { name: outputPath, axis: outputPath },
        declared?.outputs,
        ctx,
      );
    }
  }
}

/** An onnx model asking for a GPU provider runs on GPUs by default, as Triton's KIND_AUTO does. */
function defaultKind(config: AnyModelConfig): InstanceKind {
  return config.backend === "onnx" &&
    config.execution_providers.some((provider) => GPU_PROVIDERS.includes(provider))
    ? "gpu"
    : "cpu";
}

/**
 * An inline executor runs one batch at a time on the event loop, so a second instance would only
 * wait for the first: it takes exactly one instance (one CPU, or one listed GPU).
 */
function checkInlineInstance(config: AnyModelConfig, ctx: Ctx): void {
  if (config.executor !== "inline") return;
  const { instances, instance_group: groups } = config;
  const fix = 'set instance_group to [{ "kind": "cpu", "count": 1 }], or executor "worker"';
  const why =
    'executor "inline" runs batches one at a time on the event loop, so it takes exactly one instance';
  if (instances !== undefined && instances > 1) {
    ctx.addIssue({
      code: "custom",
      path: ["instances"],
      input: instances,
      message: `${why}: ${fix}`,
    });
  }
  if (groups === undefined) {
    if (defaultKind(config) === "gpu") {
      ctx.addIssue({
        code: "custom",
        path: ["executor"],
        input: config.executor,
        message: `${why}, and the default instance group of this model is a "gpu" group on every visible GPU: list one GPU, as instance_group: [{ "kind": "gpu", "gpus": [0] }], or set executor "worker"`,
      });
    }
    return;
  }
  if (groups.length > 1) {
    ctx.addIssue({
      code: "custom",
      path: ["instance_group"],
      input: groups,
      message: `${why}, and this lists ${groups.length} groups: ${fix}`,
    });
    return;
  }
  const [group] = groups;
  if (group === undefined) return;
  if (group.count > 1) {
    ctx.addIssue({
      code: "custom",
      path: ["instance_group", 0, "count"],
      input: group.count,
      message: `${why}: set count 1, or executor "worker"`,
    });
  }
  if (group.kind === "gpu" && group.gpus?.length !== 1) {
    const listed = group.gpus !== undefined;
    ctx.addIssue({
      code: "custom",
      path: ["instance_group", 0, listed ? "gpus" : "kind"],
      input: listed ? group.gpus : group.kind,
      message: `${why}, and a "gpu" group ${listed ? "puts one on each listed GPU" : "without gpus runs on every visible GPU"}: list one GPU in gpus, or set executor "worker"`,
    });
  }
}

function checkInstances(config: AnyModelConfig, ctx: Ctx): void {
  const { instances, instance_group: groups } = config;
  if (instances !== undefined && groups !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["instances"],
      input: instances,
      message: `instances: ${instances} is the short form of instance_group: [{ "kind": "${defaultKind(config)}", "count": ${instances} }]; keep only instance_group`,
    });
  }
  checkInlineInstance(config, ctx);
  if (config.backend !== "onnx" || groups === undefined) return;
  const providers = config.execution_providers;
  groups.forEach((group, index) => {
    const path = ["instance_group", index, "kind"];
    if (group.kind === "gpu" && !providers.some((provider) => GPU_PROVIDERS.includes(provider))) {
      ctx.addIssue({
        code: "custom",
        path,
        input: group.kind,
        message: `a "gpu" instance needs a GPU execution provider, and execution_providers lists ${providers.join(", ")}: add "cuda" or "tensorrt" there, or set kind "cpu"`,
      });
    }
    if (group.kind === "cpu" && !providers.includes("cpu")) {
      ctx.addIssue({
        code: "custom",
        path,
        input: group.kind,
        message: `a "cpu" instance runs on the "cpu" execution provider, which execution_providers (${providers.join(", ")}) does not list: add "cpu" there, or set kind "gpu"`,
      });
    }
  });
}

type ResolvedInstances<Config> = Config extends AnyModelConfig
  ? Omit<Config, "instances" | "instance_group"> & { instance_group: InstanceGroupConfig[] }
  : never;

/** Replaces `instances` by the instance groups it stands for: one path for the rest of the code. */
function resolveInstanceGroups(config: AnyModelConfig): ResolvedInstances<AnyModelConfig> {
  const { instances, instance_group: groups, ...rest } = config;
  return {
    ...rest,
    instance_group: groups ?? [{ kind: defaultKind(config), count: instances ?? 1 }],
  } as ResolvedInstances<AnyModelConfig>;
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
    checkPadding(config, ctx);
    checkInstances(config, ctx);
  })
  .transform(resolveInstanceGroups);

export type ModelConfig = z.output<typeof modelConfigSchema>;
export type ModelConfigInput = z.input<typeof modelConfigSchema>;
export type OnnxModelConfig = Extract<ModelConfig, { backend: "onnx" }>;
export type MockModelConfig = Extract<ModelConfig, { backend: "mock" }>;
export type MockSettings = MockModelConfig["mock"];
export type DynamicBatchingConfig = ModelConfig["dynamic_batching"];
export type InputPaddingConfig = z.output<typeof inputPaddingSchema>;
export type { InstanceGroupConfig, InstanceKind };

/**
 * Validates one model's settings; `source` (usually the config.json path) prefixes every
 * issue. Throws a ConfigError listing every issue.
 */
export function parseModelConfig(input: unknown, source: string): ModelConfig {
  return parseConfig(modelConfigSchema, input, () => source);
}

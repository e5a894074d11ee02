import { describe, expect, it } from "vitest";
import {
  ConfigError,
  type ConfigIssue,
  formatConfigIssue,
  parseModelConfig,
  parseOnnxRuntimeOptions,
} from "../src/config/index.js";

const SOURCE = "/repo/fraud/config.json";

function issuesOf(input: unknown): string[] {
  try {
    parseModelConfig(input, SOURCE);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(formatConfigIssue);
    throw error;
  }
  throw new Error("expected the model config to be rejected");
}

describe("instance_group", () => {
  it("keeps Triton's groups: count per listed GPU, kinds side by side", () => {
    const config = parseModelConfig(
      {
        execution_providers: ["cuda", "cpu"],
        instance_group: [{ kind: "gpu", count: 2, gpus: [0, 1] }, { kind: "cpu" }],
      },
      SOURCE,
    );
    expect(config.instance_group).toEqual([
      { kind: "gpu", count: 2, gpus: [0, 1] },
      { kind: "cpu", count: 1 },
    ]);
  });

  it("reads the old instances as one group of the default kind", () => {
    const groups = (input: Record<string, unknown>) =>
      parseModelConfig(input, SOURCE).instance_group;
    expect(groups({ instances: 3 })).toEqual([{ kind: "cpu", count: 3 }]);
    expect(groups({ instances: 2, execution_providers: ["cuda", "cpu"] })).toEqual([
      { kind: "gpu", count: 2 },
    ]);
    expect(groups({ execution_providers: ["tensorrt", "cuda"] })).toEqual([
      { kind: "gpu", count: 1 },
    ]);
    expect(groups({ backend: "mock", instances: 2 })).toEqual([{ kind: "cpu", count: 2 }]);
    expect("instances" in parseModelConfig({ instances: 2 }, SOURCE)).toBe(false);
  });

  it("refuses instances beside instance_group, naming the long form", () => {
    expect(issuesOf({ instances: 2, instance_group: [{ kind: "cpu" }] })).toEqual([
      `${SOURCE}: instances: instances: 2 is the short form of instance_group: [{ "kind": "cpu", "count": 2 }]; keep only instance_group (got 2)`,
    ]);
  });

  it.each([
    [
      { instance_group: [{ kind: "GPU" }] },
      'instance_group[0].kind: expected one of "gpu", "cpu" (got "GPU")',
    ],
    [
      { instance_group: [{ kind: "cpu", count: 0 }] },
      "instance_group[0].count: must be at least 1 (got 0)",
    ],
    [
      { execution_providers: ["cuda"], instance_group: [{ kind: "gpu", gpus: [1, 1] }] },
      "instance_group[0].gpus: must not list a GPU twice (got [1,1])",
    ],
    [
      { execution_providers: ["cuda"], instance_group: [{ kind: "gpu", gpus: [-1] }] },
      "instance_group[0].gpus[0]: must be at least 0 (got -1)",
    ],
    [
      { instance_group: [{ kind: "cpu", gpus: [0] }] },
      'instance_group[0].gpus: only a group of kind "gpu" runs on GPUs: remove gpus or set kind "gpu" (got [0])',
    ],
    [
      { instance_group: [{ kind: "gpu" }] },
      'instance_group[0].kind: a "gpu" instance needs a GPU execution provider, and execution_providers lists cpu: add "cuda" or "tensorrt" there, or set kind "cpu" (got "gpu")',
    ],
    [
      { execution_providers: ["cuda"], instance_group: [{ kind: "cpu" }] },
      'instance_group[0].kind: a "cpu" instance runs on the "cpu" execution provider, which execution_providers (cuda) does not list: add "cpu" there, or set kind "gpu" (got "cpu")',
    ],
    [
      { instance_group: [{ kind: "cpu", devices: [0] }] },
      "instance_group[0].devices: unknown key; allowed keys: kind, count, gpus (got [0])",
    ],
  ])("refuses %j", (input, message) => {
    expect(issuesOf(input)).toEqual([`${SOURCE}: ${message}`]);
  });
});

describe("executor", () => {
  it("runs batches on worker threads unless a model asks for inline", () => {
    expect(parseModelConfig({}, SOURCE).executor).toBe("worker");
    expect(parseModelConfig({ executor: "inline" }, SOURCE)).toMatchObject({
      executor: "inline",
      instance_group: [{ kind: "cpu", count: 1 }],
    });
    expect(
      parseModelConfig(
        {
          executor: "inline",
          execution_providers: ["cuda"],
          instance_group: [{ kind: "gpu", gpus: [1] }],
        },
        SOURCE,
      ).instance_group,
    ).toEqual([{ kind: "gpu", count: 1, gpus: [1] }]);
  });

  const ONE =
    'executor "inline" runs batches one at a time on the event loop, so it takes exactly one instance';
  it.each([
    [{ executor: "thread" }, 'executor: expected one of "worker", "inline" (got "thread")'],
    [
      { executor: "inline", instances: 2 },
      `instances: ${ONE}: set instance_group to [{ "kind": "cpu", "count": 1 }], or executor "worker" (got 2)`,
    ],
    [
      { executor: "inline", instance_group: [{ kind: "cpu", count: 2 }] },
      `instance_group[0].count: ${ONE}: set count 1, or executor "worker" (got 2)`,
    ],
    [
      { executor: "inline", instance_group: [{ kind: "cpu" }, { kind: "cpu" }] },
      `instance_group: ${ONE}, and this lists 2 groups: set instance_group to [{ "kind": "cpu", "count": 1 }], or executor "worker" (got [{"kind":"cpu"},{"kind":"cpu"}])`,
    ],
    [
      { executor: "inline", execution_providers: ["cuda"], instance_group: [{ kind: "gpu" }] },
      `instance_group[0].kind: ${ONE}, and a "gpu" group without gpus runs on every visible GPU: list one GPU in gpus, or set executor "worker" (got "gpu")`,
    ],
    [
      {
        executor: "inline",
        execution_providers: ["cuda"],
        instance_group: [{ kind: "gpu", gpus: [0, 1] }],
      },
      `instance_group[0].gpus: ${ONE}, and a "gpu" group puts one on each listed GPU: list one GPU in gpus, or set executor "worker" (got [0,1])`,
    ],
    [
      { executor: "inline", execution_providers: ["cuda"] },
      `executor: ${ONE}, and the default instance group of this model is a "gpu" group on every visible GPU: list one GPU, as instance_group: [{ "kind": "gpu", "gpus": [0] }], or set executor "worker" (got "inline")`,
    ],
  ])("refuses %j", (input, message) => {
    expect(issuesOf(input)).toEqual([`${SOURCE}: ${message}`]);
  });
});

describe("onnxruntime options", () => {
  it.each([
    [
      { intra_op_thread_count: -1 },
      "onnxruntime.intra_op_thread_count: must be at least 0 (got -1)",
    ],
    [
      { inter_op_thread_count: 1.5 },
      "onnxruntime.inter_op_thread_count: expected an integer (got 1.5)",
    ],
    [{ allow_spinning: "no" }, 'onnxruntime.allow_spinning: expected true or false (got "no")'],
    [
      { graph_optimization_level: 99 },
      'onnxruntime.graph_optimization_level: expected one of "disabled", "basic", "extended", "layout", "all" (got 99)',
    ],
    [
      { execution_mode: "fast" },
      'onnxruntime.execution_mode: expected one of "sequential", "parallel" (got "fast")',
    ],
    [{ enable_mem_arena: 1 }, "onnxruntime.enable_mem_arena: expected true or false (got 1)"],
    [
      { enable_mem_pattern: "true" },
      'onnxruntime.enable_mem_pattern: expected true or false (got "true")',
    ],
    [{ cuda: { gpu_mem_limit: 0 } }, "onnxruntime.cuda.gpu_mem_limit: must be at least 1 (got 0)"],
    [
      { cuda: { arena_extend_strategy: 1 } },
      'onnxruntime.cuda.arena_extend_strategy: expected one of "kNextPowerOfTwo", "kSameAsRequested" (got 1)',
    ],
    [
      { cuda: { cudnn_conv_algo_search: "FAST" } },
      'onnxruntime.cuda.cudnn_conv_algo_search: expected one of "EXHAUSTIVE", "HEURISTIC", "DEFAULT" (got "FAST")',
    ],
    [
      { cuda: { do_copy_in_default_stream: "1" } },
      'onnxruntime.cuda.do_copy_in_default_stream: expected true or false (got "1")',
    ],
    [
      { tensorrt: { precision_mode: "fp16" } },
      'onnxruntime.tensorrt.precision_mode: expected one of "FP32", "FP16", "INT8" (got "fp16")',
    ],
    [
      { tensorrt: { trt_engine_cache_enable: false, trt_engine_cache_path: "/cache" } },
      'onnxruntime.tensorrt.trt_engine_cache_path: the engine cache is off (trt_engine_cache_enable: false): remove one of the two (got "/cache")',
    ],
    [
      { intra_op_num_threads: 2 },
      "onnxruntime.intra_op_num_threads: unknown key; allowed keys: intra_op_thread_count, inter_op_thread_count, allow_spinning, graph_optimization_level, execution_mode, enable_mem_arena, enable_mem_pattern, cuda, tensorrt (got 2)",
    ],
  ])("names the key, the value and what is allowed: %j", (onnxruntime, message) => {
    expect(issuesOf({ onnxruntime })).toEqual([`${SOURCE}: ${message}`]);
  });

  it("is an unknown key on a mock model", () => {
    expect(issuesOf({ backend: "mock", onnxruntime: {} })[0]).toMatch(
      /onnxruntime: unknown key; allowed keys: backend, version_policy, instances, instance_group/,
    );
  });

  it("parses a section on its own for the backend, as the config does", () => {
    expect(parseOnnxRuntimeOptions({ allow_spinning: false }, "request")).toEqual({
      allow_spinning: false,
    });
    const issues: ConfigIssue[] = (() => {
      try {
        parseOnnxRuntimeOptions({ execution_mode: 1 }, "request");
      } catch (error) {
        if (error instanceof ConfigError) return [...error.issues];
      }
      return [];
    })();
    expect(issues.map(formatConfigIssue)).toEqual([
      'request: execution_mode: expected one of "sequential", "parallel" (got 1)',
    ]);
  });
});

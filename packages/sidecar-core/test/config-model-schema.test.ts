import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  type ConfigIssue,
  formatConfigIssue,
  type ModelConfig,
  parseModelConfig,
} from "../src/config/index.js";

const SOURCE = "/repo/fraud/config.json";

function issuesOf(input: unknown): ConfigIssue[] {
  try {
    parseModelConfig(input, SOURCE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error("expected the model config to be rejected");
}

function issueAt(input: unknown, path: string): ConfigIssue {
  const issues = issuesOf(input);
  const issue = issues.find((candidate) => candidate.path === path);
  if (issue === undefined) {
    throw new Error(`no issue at ${path}; issues: ${issues.map(formatConfigIssue).join(" | ")}`);
  }
  expect(issue.source).toBe(SOURCE);
  return issue;
}

function mockConfig(input: Record<string, unknown>): Extract<ModelConfig, { backend: "mock" }> {
  const config = parseModelConfig({ backend: "mock", ...input }, SOURCE);
  if (config.backend !== "mock") throw new Error("expected a mock config");
  return config;
}

describe("model config defaults", () => {
  it("makes an empty config.json an onnx model on the CPU batching up to 32 rows", () => {
    expect(parseModelConfig({}, SOURCE)).toEqual({
      backend: "onnx",
      version_policy: { latest: { num_versions: 1 } },
      instance_group: [{ kind: "cpu", count: 1 }],
      executor: "worker",
      max_batch_size: 32,
      dynamic_batching: {
        max_queue_delay_us: 1000,
        preferred_batch_sizes: [],
        max_queue_size: 1024,
        max_queue_bytes: 256 * 1024 * 1024,
        priority_levels: 1,
        default_priority: 1,
        default_timeout_us: 0,
        padding: {},
      },
      parameters: {},
      execution_providers: ["cpu"],
      allow_cpu_fallback: false,
      onnxruntime: {},
    });
  });

  it("gives a mock model a zero-latency mock section", () => {
    expect(mockConfig({}).mock).toEqual({ fixed_latency_us: 0, per_row_latency_us: 0 });
  });

  it("defaults the priority of unlabelled requests to the middle level, rounded up", () => {
    const defaultPriority = (levels: number) =>
      parseModelConfig({ dynamic_batching: { priority_levels: levels } }, SOURCE).dynamic_batching
        .default_priority;
    expect([1, 2, 3, 4, 5].map(defaultPriority)).toEqual([1, 2, 2, 3, 3]);
    const explicit = parseModelConfig(
      { dynamic_batching: { priority_levels: 3, default_priority: 1 } },
      SOURCE,
    );
    expect(explicit.dynamic_batching.default_priority).toBe(1);
  });

  it("does not share default objects between parses", () => {
    const first = parseModelConfig({}, SOURCE);
    if (first.backend === "onnx") first.execution_providers.push("cuda");
    first.dynamic_batching.preferred_batch_sizes.push(4);
    const second = parseModelConfig({}, SOURCE);
    expect(second.backend === "onnx" && second.execution_providers).toEqual(["cpu"]);
    expect(second.dynamic_batching.preferred_batch_sizes).toEqual([]);
  });
});

describe("model config values", () => {
  it("keeps a full onnx config as written", () => {
    const input = {
      backend: "onnx",
      version_policy: { specific: { versions: [1, 3] } },
      instance_group: [
        { kind: "gpu", count: 2, gpus: [0, 1] },
        { kind: "cpu", count: 1 },
      ],
      executor: "worker",
      max_batch_size: 64,
      dynamic_batching: {
        max_queue_delay_us: 500,
        preferred_batch_sizes: [16, 64],
        max_queue_size: 10,
        max_queue_bytes: 1024,
        priority_levels: 2,
        default_priority: 2,
        default_timeout_us: 100_000,
        padding: { input_ids: { axis: 1, value: 0, max_length: 512, outputs: { logits: 1 } } },
      },
      parameters: { intra_op_num_threads: 4 },
      execution_providers: ["cuda", "cpu"],
      allow_cpu_fallback: true,
      onnxruntime: {
        intra_op_thread_count: 2,
        inter_op_thread_count: 1,
        allow_spinning: false,
        graph_optimization_level: "extended",
        execution_mode: "parallel",
        enable_mem_arena: false,
        enable_mem_pattern: false,
        cuda: {
          gpu_mem_limit: 4 * 1024 ** 3,
          arena_extend_strategy: "kSameAsRequested",
          cudnn_conv_algo_search: "HEURISTIC",
          do_copy_in_default_stream: false,
        },
        tensorrt: {
          precision_mode: "FP16",
          trt_engine_cache_enable: true,
          trt_engine_cache_path: "/var/cache/trt",
        },
      },
    };
    expect(parseModelConfig(input, SOURCE)).toEqual(input);
  });

  it("accepts each version policy form", () => {
    for (const policy of [
      { latest: { num_versions: 2 } },
      { all: {} },
      { specific: { versions: [4, 2] } },
    ]) {
      expect(parseModelConfig({ version_policy: policy }, SOURCE).version_policy).toEqual(policy);
    }
  });

  it("accepts declared mock tensors and a latency model", () => {
    const mock = {
      fixed_latency_us: 200,
      per_row_latency_us: 5,
      inputs: [{ name: "x", datatype: "FP32", shape: [-1, 4] }],
      outputs: [{ name: "y", datatype: "FP32", shape: [-1, 1] }],
    };
    expect(mockConfig({ mock }).mock).toEqual(mock);
  });

  it("accepts a non-batching model with fixed shapes", () => {
    const config = mockConfig({
      max_batch_size: 0,
      mock: { inputs: [{ name: "x", datatype: "INT64", shape: [3] }] },
    });
    expect(config.max_batch_size).toBe(0);
  });
});

describe("model config issues", () => {
  it("lists the backends for an unknown one", () => {
    const issue = issueAt({ backend: "tensorrt" }, "backend");
    expect(issue.message).toBe('expected one of "onnx", "mock"');
    expect(issue.received).toBe("tensorrt");
  });

  it("accepts backend-specific keys only for that backend", () => {
    expect(
      issueAt({ backend: "mock", execution_providers: ["cpu"] }, "execution_providers").message,
    ).toContain("allowed keys: backend, version_policy");
    expect(issueAt({ mock: {} }, "mock").message).toContain("execution_providers");
  });

  it("lists the execution providers for an unknown one", () => {
    const issue = issueAt({ execution_providers: ["cuda", "rocm"] }, "execution_providers[1]");
    expect(issue.message).toBe('expected one of "cuda", "cpu", "tensorrt"');
    expect(issue.received).toBe("rocm");
  });

  it("rejects an empty or repeated provider list", () => {
    expect(issueAt({ execution_providers: [] }, "execution_providers").message).toBe(
      "must list at least 1 item",
    );
    expect(
      issueAt({ execution_providers: ["cpu", "cpu"] }, "execution_providers").message,
    ).toContain("twice");
  });

  it("rejects counts out of range", () => {
    expect(issueAt({ instances: 0 }, "instances").message).toBe("must be at least 1");
    expect(issueAt({ max_batch_size: -1 }, "max_batch_size").message).toBe("must be at least 0");
    expect(issueAt({ max_batch_size: 2.5 }, "max_batch_size").message).toBe("expected an integer");
    expect(
      issueAt({ dynamic_batching: { max_queue_size: 0 } }, "dynamic_batching.max_queue_size")
        .message,
    ).toBe("must be at least 1");
    expect(
      issueAt({ backend: "mock", mock: { fixed_latency_us: -1 } }, "mock.fixed_latency_us").message,
    ).toBe("must be at least 0");
  });

  it("explains the version policy forms for a misspelt one", () => {
    const issue = issueAt({ version_policy: { lastest: { num_versions: 1 } } }, "version_policy");
    expect(issue.message).toContain('{"latest": {"num_versions": N}}');
    expect(issue.message).toContain('{"all": {}}');
  });

  it("rejects two version policies at once", () => {
    expect(issuesOf({ version_policy: { latest: { num_versions: 1 }, all: {} } })[0]?.path).toBe(
      "version_policy",
    );
  });

  it("points inside a version policy of the right form", () => {
    expect(
      issueAt(
        { version_policy: { latest: { num_versions: 0 } } },
        "version_policy.latest.num_versions",
      ).message,
    ).toBe("must be at least 1");
    expect(
      issueAt(
        { version_policy: { specific: { versions: [2, 2] } } },
        "version_policy.specific.versions",
      ).message,
    ).toContain("twice");
    expect(
      issueAt(
        { version_policy: { specific: { versions: [] } } },
        "version_policy.specific.versions",
      ).message,
    ).toBe("must list at least 1 item");
  });

  it("names an input with a dot in brackets", () => {
    const issue = issueAt(
      { dynamic_batching: { padding: { "input.ids": { axis: "1" } } } },
      'dynamic_batching.padding["input.ids"].axis',
    );
    expect(issue.message).toBe("expected a number");
  });

  it("lists the datatypes for an unknown one", () => {
    const issue = issueAt(
      { backend: "mock", mock: { outputs: [{ name: "y", datatype: "FLOAT", shape: [-1] }] } },
      "mock.outputs[0].datatype",
    );
    expect(issue.message).toContain('"FP32"');
    expect(issue.message).toContain('"BYTES"');
  });
});

describe("model config cross-field checks", () => {
  it("rejects preferred batch sizes above max_batch_size, naming each", () => {
    const issues = issuesOf({
      max_batch_size: 8,
      dynamic_batching: { preferred_batch_sizes: [4, 16, 8, 32] },
    });
    expect(issues.map((issue) => [issue.path, issue.received])).toEqual([
      ["dynamic_batching.preferred_batch_sizes[1]", 16],
      ["dynamic_batching.preferred_batch_sizes[3]", 32],
    ]);
    expect(issues[0]?.message).toBe("must be at most max_batch_size (8)");
  });

  it("accepts exactly the preferred sizes up to max_batch_size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 256 }),
        fc.integer({ min: 1, max: 256 }),
        (max, size) => {
          const input = {
            max_batch_size: max,
            dynamic_batching: { preferred_batch_sizes: [size] },
          };
          if (size <= max) {
            expect(parseModelConfig(input, SOURCE).dynamic_batching.preferred_batch_sizes).toEqual([
              size,
            ]);
          } else {
            expect(issuesOf(input)).toHaveLength(1);
          }
        },
      ),
    );
  });

  it("explains preferred sizes on a model that does not batch", () => {
    const issue = issueAt(
      { max_batch_size: 0, dynamic_batching: { preferred_batch_sizes: [1] } },
      "dynamic_batching.preferred_batch_sizes[0]",
    );
    expect(issue.message).toContain("does not batch");
  });

  it("rejects a default priority above priority_levels", () => {
    const issue = issueAt(
      { dynamic_batching: { priority_levels: 2, default_priority: 3 } },
      "dynamic_batching.default_priority",
    );
    expect(issue.message).toContain("between 1 and priority_levels (2)");
    expect(issue.received).toBe(3);
  });

  it("rejects padding the batch axis, of an input or of an output", () => {
    const issues = issuesOf({
      dynamic_batching: { padding: { ids: { axis: 0, outputs: { logits: 0, mask: 2 } } } },
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      "dynamic_batching.padding.ids.axis",
      "dynamic_batching.padding.ids.outputs.logits",
    ]);
    expect(issues[0]?.message).toContain("batch dimension");
  });

  it("rejects padding on a model that does not batch", () => {
    const issue = issueAt(
      { max_batch_size: 0, dynamic_batching: { padding: { ids: { axis: 1 } } } },
      "dynamic_batching.padding.ids",
    );
    expect(issue.message).toContain("does not batch");
  });

  it("checks padding against the declared mock tensors", () => {
    const mock = {
      inputs: [
        { name: "ids", datatype: "INT64", shape: [-1, -1] },
        { name: "mask", datatype: "INT64", shape: [-1, 8] },
      ],
      outputs: [{ name: "logits", datatype: "FP32", shape: [-1, -1, 2] }],
    };
    const padded = (padding: unknown) => ({ mock, dynamic_batching: { padding } });
    expect(
      issueAt(
        { backend: "mock", ...padded({ tokens: { axis: 1 } }) },
        "dynamic_batching.padding.tokens",
      ).message,
    ).toContain("declared: ids, mask");
    expect(
      issueAt(
        { backend: "mock", ...padded({ mask: { axis: 1 } }) },
        "dynamic_batching.padding.mask.axis",
      ).message,
    ).toContain("variable (-1) axis");
    expect(
      issueAt(
        { backend: "mock", ...padded({ ids: { axis: 2 } }) },
        "dynamic_batching.padding.ids.axis",
      ).message,
    ).toContain("[-1,-1]");
    expect(
      issueAt(
        { backend: "mock", ...padded({ ids: { axis: 1, outputs: { scores: 1 } } }) },
        "dynamic_batching.padding.ids.outputs.scores",
      ).message,
    ).toContain("mock.outputs declares no");
    expect(
      issueAt(
        { backend: "mock", ...padded({ ids: { axis: 1, outputs: { logits: 2 } } }) },
        "dynamic_batching.padding.ids.outputs.logits",
      ).received,
    ).toBe(2);
    const accepted = mockConfig(
      padded({ ids: { axis: 1, max_length: 8, outputs: { logits: 1 } } }),
    );
    expect(accepted.dynamic_batching.padding).toEqual({
      ids: { axis: 1, value: 0, max_length: 8, outputs: { logits: 1 } },
    });
  });

  it("requires a batching mock to declare the batch dimension as -1", () => {
    const issue = issueAt(
      { backend: "mock", mock: { outputs: [{ name: "y", datatype: "FP32", shape: [4] }] } },
      "mock.outputs[0].shape",
    );
    expect(issue.message).toContain("must be -1");
  });

  it("rejects two declared tensors with one name", () => {
    const spec = { name: "x", datatype: "FP32", shape: [-1] };
    expect(
      issueAt({ backend: "mock", mock: { inputs: [spec, spec] } }, "mock.inputs[1].name").message,
    ).toContain("already has this name");
  });
});

import { fileURLToPath } from "node:url";
import {
  type InstanceDevice,
  type ModelLoadRequest,
  parseModelConfig,
} from "@gpu-sidecar/sidecar-core";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { createOnnxBackend } from "../src/backends/onnx-backend.js";
import { createGpuInventory } from "../src/executor/gpu-inventory.js";
import { placeInstances } from "../src/executor/instance-placement.js";
import { fakeNvidiaSmi } from "./fixtures/metrics/metrics-harness.js";

const fraudVersionPath = fileURLToPath(new URL("../models/fraud/1", import.meta.url));
const MIB = 1024 * 1024;

/** Two 80 GB GPUs in nvidia-smi's status format; GPU 1 has `freeMiB1` free. */
async function twoGpuNode(freeMiB1 = 81_000) {
  const smi = await fakeNvidiaSmi(
    [
      "echo '0, GPU-aaaa-0000, NVIDIA H100 80GB HBM3, 81559, 559, 81000, 0'",
      `echo '1, GPU-bbbb-1111, NVIDIA H100 80GB HBM3, 81559, ${81_559 - freeMiB1}, ${freeMiB1}, 3'`,
    ].join("\n"),
  );
  return smi.path;
}

interface PlaceOptions {
  readonly config: Record<string, unknown>;
  readonly nvidiaSmiPath: string;
  readonly cudaVisibleDevices?: string;
  readonly modelBytes?: number;
}

async function place(options: PlaceOptions): Promise<InstanceDevice[]> {
  const config = parseModelConfig(options.config, "config.json");
  const warnings: string[] = [];
  return placeInstances({
    label: 'model "fraud" version 1',
    groups: config.instance_group,
    inventory: createGpuInventory({
      nvidiaSmiPath: options.nvidiaSmiPath,
      cudaVisibleDevices: options.cudaVisibleDevices,
    }),
    modelBytes: async () => options.modelBytes ?? 1024,
    allowCpuFallback: config.backend === "onnx" && config.allow_cpu_fallback,
    warn: (message) => warnings.push(message),
    cudaVisibleDevices: options.cudaVisibleDevices,
  });
}

/**
 * The seam where sessions are created: records what reaches InferenceSession.create, then
 * creates the real session on the CPU (there is no GPU here), so the rest of the load is real.
 */
function recordingBackend() {
  const created: ort.InferenceSession.SessionOptions[] = [];
  const warnings: string[] = [];
  const backend = createOnnxBackend({
    onWarning: (message) => warnings.push(message),
    createSession: (path, options) => {
      created.push(options);
      return ort.InferenceSession.create(path, { ...options, executionProviders: ["cpu"] });
    },
  });
  return { backend, created, warnings };
}

const ALL_OPTIONS = {
  intra_op_thread_count: 1,
  inter_op_thread_count: 1,
  allow_spinning: false,
  graph_optimization_level: "extended",
  execution_mode: "sequential",
  enable_mem_arena: false,
  enable_mem_pattern: true,
  cuda: {
    gpu_mem_limit: 2 * 1024 ** 3,
    arena_extend_strategy: "kSameAsRequested",
    cudnn_conv_algo_search: "HEURISTIC",
    do_copy_in_default_stream: true,
  },
  tensorrt: { precision_mode: "FP16", trt_engine_cache_path: "/var/cache/trt" },
};

describe("instances on the GPUs of the node", () => {
  it("gpus [0, 1] with count 2: four sessions on devices 0, 0, 1, 1 with every option", async () => {
    const input = {
      execution_providers: ["tensorrt", "cuda", "cpu"],
      instance_group: [{ kind: "gpu", count: 2, gpus: [0, 1] }],
      onnxruntime: ALL_OPTIONS,
    };
    const devices = await place({ config: input, nvidiaSmiPath: await twoGpuNode() });
    expect(devices).toEqual([
      { kind: "gpu", cudaDevice: 0, index: 0, uuid: "GPU-aaaa-0000" },
      { kind: "gpu", cudaDevice: 0, index: 0, uuid: "GPU-aaaa-0000" },
      { kind: "gpu", cudaDevice: 1, index: 1, uuid: "GPU-bbbb-1111" },
      { kind: "gpu", cudaDevice: 1, index: 1, uuid: "GPU-bbbb-1111" },
    ]);

    const config = parseModelConfig(input, "config.json");
    if (config.backend !== "onnx") throw new Error("expected an onnx config");
    const { backend, created, warnings } = recordingBackend();
    for (const device of devices) {
      const request: ModelLoadRequest = {
        name: "fraud",
        version: "1",
        versionPath: fraudVersionPath,
        parameters: {
          execution_providers: config.execution_providers,
          onnxruntime: config.onnxruntime,
        },
        device,
      };
      await (await backend.load(request)).unload();
    }
    expect(created).toHaveLength(4);
    expect(
      created.map(
        (options) =>
          (options.executionProviders?.[1] as { deviceId?: number } | undefined)?.deviceId,
      ),
    ).toEqual([0, 0, 1, 1]);
    expect(created[3]).toEqual({
      executionProviders: [
        {
          name: "tensorrt",
          deviceId: 1,
          trt_fp16_enable: "1",
          trt_int8_enable: "0",
          trt_engine_cache_enable: "1",
          trt_engine_cache_path: "/var/cache/trt",
        },
        {
          name: "cuda",
          deviceId: 1,
          gpu_mem_limit: String(2 * 1024 ** 3),
          arena_extend_strategy: "kSameAsRequested",
          cudnn_conv_algo_search: "HEURISTIC",
          do_copy_in_default_stream: "1",
        },
        "cpu",
      ],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: "extended",
      executionMode: "sequential",
      enableCpuMemArena: false,
      enableMemPattern: true,
      extra: {
        session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } },
      },
    });
    // onnxruntime-node 1.30 drops the provider options but deviceId: said at every load.
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(
      /on GPU 0: onnxruntime\.tensorrt\.precision_mode, onnxruntime\.tensorrt\.trt_engine_cache_path, onnxruntime\.cuda\.gpu_mem_limit, .*do_copy_in_default_stream reach InferenceSession.create, but onnxruntime-node 1\.30 hands .* only their device id/,
    );
  }, 30_000);

  it("no gpus: count instances on every visible GPU; a cpu group runs on the CPU provider only", async () => {
    const input = {
      execution_providers: ["cuda", "cpu"],
      instance_group: [{ kind: "gpu" }, { kind: "cpu", count: 1 }],
    };
    const devices = await place({ config: input, nvidiaSmiPath: await twoGpuNode() });
    expect(devices.map((device) => (device.kind === "gpu" ? device.cudaDevice : "cpu"))).toEqual([
      0,
      1,
      "cpu",
    ]);
    const { backend, created } = recordingBackend();
    const model = await backend.load({
      name: "fraud",
      version: "1",
      versionPath: fraudVersionPath,
      parameters: { execution_providers: ["cuda", "cpu"] },
      device: { kind: "cpu" },
    });
    await model.unload();
    expect(created).toEqual([{ executionProviders: ["cpu"] }]);
  });

  it("refuses GPU 5 on a two-GPU node, listing the GPUs found", async () => {
    const load = place({
      config: {
        execution_providers: ["cuda"],
        instance_group: [{ kind: "gpu", count: 1, gpus: [0, 5] }],
      },
      nvidiaSmiPath: await twoGpuNode(),
    });
    await expect(load).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message:
        'model "fraud" version 1: instance_group[0] names GPU 5, which this node does not have; the GPUs found are 0 (NVIDIA H100 80GB HBM3, GPU-aaaa-0000), 1 (NVIDIA H100 80GB HBM3, GPU-bbbb-1111): list only those in gpus, or leave gpus out to use them all',
    });
  });

  it("numbers GPUs as CUDA does under CUDA_VISIBLE_DEVICES", async () => {
    const nvidiaSmiPath = await twoGpuNode();
    const config = { execution_providers: ["cuda"], instance_group: [{ kind: "gpu", gpus: [0] }] };
    expect(await place({ config, nvidiaSmiPath, cudaVisibleDevices: "1" })).toEqual([
      { kind: "gpu", cudaDevice: 0, index: 1, uuid: "GPU-bbbb-1111" },
    ]);
    await expect(
      place({
        config: { ...config, instance_group: [{ kind: "gpu", gpus: [1] }] },
        nvidiaSmiPath,
        cudaVisibleDevices: "1",
      }),
    ).rejects.toMatchObject({
      message: expect.stringContaining(
        "names GPU 1, which this node does not have; the GPUs found (CUDA_VISIBLE_DEVICES=1) are 0 (NVIDIA H100 80GB HBM3, GPU-bbbb-1111, nvidia-smi index 1)",
      ),
    });
  });

  it("checks the model's size against the GPU's free memory before loading", async () => {
    const load = place({
      config: { execution_providers: ["cuda"], instance_group: [{ kind: "gpu", count: 2 }] },
      nvidiaSmiPath: await twoGpuNode(300),
      modelBytes: 200 * MIB,
    });
    await expect(load).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message:
        'model "fraud" version 1: needs at least 400 MiB on GPU 1 (GPU-bbbb-1111) for 2 instance(s) of 200 MiB of model files, but only 300 MiB of its 81559 MiB are free; free memory there, lower count, or place the instances on another GPU',
    });
  });

  it("without nvidia-smi: fails clearly, or runs on the CPU with allow_cpu_fallback", async () => {
    const missing = "/nonexistent/nvidia-smi";
    const config = { execution_providers: ["cuda", "cpu"], instances: 2 };
    await expect(place({ config, nvidiaSmiPath: missing })).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringMatching(
        /instance_group asks for GPUs, but nvidia-smi was not found at "\/nonexistent\/nvidia-smi".*allow_cpu_fallback: true/,
      ),
    });
    expect(
      await place({ config: { ...config, allow_cpu_fallback: true }, nvidiaSmiPath: missing }),
    ).toEqual([{ kind: "cpu" }, { kind: "cpu" }]);
  });
});

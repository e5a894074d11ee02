import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSidecarConfig } from "@gpu-sidecar/sidecar-core";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as ServerModule from "../src/index.js";
import type { PrometheusMetrics, Sidecar } from "../src/index.js";
import {
  capturingLogger,
  eventually,
  fakeNvidiaSmi,
  type MetricsEndpoint,
  parseSamples,
  serveMetrics,
} from "./fixtures/metrics/metrics-harness.js";
import { http, PACKAGE_MODELS, portOf, postJson, tempDir } from "./server-harness.js";

const built = new URL("../dist/index.js", import.meta.url).href;
const { startSidecar, createSidecarMetrics } = (await import(built)) as typeof ServerModule;

function model(root: string, name: string, config: unknown): string {
  const dir = join(root, name);
  mkdirSync(join(dir, "1"), { recursive: true });
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  return dir;
}

/**
 * A sidecar on a fake two-GPU node: `scores` (mock) with two instances on each GPU, `fraud`
 * (the bundled ONNX model) with its onnxruntime options, and `broken`, an onnx model whose
 * onnxruntime option is wrong.
 */
describe("a sidecar serving every GPU of its node", () => {
  let sidecar: Sidecar;
  let metrics: PrometheusMetrics;
  let endpoint: MetricsEndpoint;
  let records: Record<string, unknown>[];
  let startError: unknown;

  beforeAll(async () => {
    const root = tempDir();
    model(root, "scores", {
      backend: "mock",
      max_batch_size: 1,
      dynamic_batching: { max_queue_delay_us: 0 },
      instance_group: [{ kind: "gpu", count: 2, gpus: [0, 1] }],
      mock: {
        inputs: [{ name: "x", datatype: "FP32", shape: [-1, 2] }],
        outputs: [{ name: "y", datatype: "FP32", shape: [-1, 1] }],
        fixed_latency_us: 20_000,
      },
    });
    cpSync(join(PACKAGE_MODELS, "fraud"), join(root, "fraud"), { recursive: true });
    const broken = model(root, "broken", { onnxruntime: { execution_mode: "fast" } });
    cpSync(join(PACKAGE_MODELS, "fraud", "1"), join(broken, "1"), { recursive: true });
    const smi = await fakeNvidiaSmi(
      [
        "echo '0, GPU-aaaa-0000, NVIDIA L4, 23034, 0, 23034, 5'",
        "echo '1, GPU-bbbb-1111, NVIDIA L4, 23034, 0, 23034, 7'",
      ].join("\n"),
    );
    const config = parseSidecarConfig({
      model_repository: root,
      server: { http_port: 0, grpc_port: 0, metrics_port: false },
      metrics: { nvidia_smi_path: smi.path, gpu_poll_interval_ms: 50 },
    });
    const captured = capturingLogger();
    records = captured.records;
    metrics = createSidecarMetrics({
      logger: pino({ level: "silent" }),
      gpuPollIntervalMs: 50,
      nvidiaSmiPath: smi.path,
    });
    endpoint = await serveMetrics(metrics.handler);
    try {
      sidecar = await startSidecar(config, {
        logger: captured.logger,
        metrics,
        cudaVisibleDevices: undefined,
      });
    } catch (error) {
      startError = error;
    }
  });

  afterAll(async () => {
    await sidecar?.close();
    await endpoint?.close();
    await metrics?.close();
  });

  it("loads the good models and refuses the wrong option naming key, value and choices", async () => {
    expect(startError).toBeUndefined();
    const index = await sidecar.models.index();
    const state = Object.fromEntries(index.map((entry) => [entry.name, entry.state]));
    expect(state).toEqual({ broken: "UNAVAILABLE", fraud: "READY", scores: "READY" });
    const broken = index.find((entry) => entry.name === "broken");
    expect(broken?.reason).toMatch(
      /config\.json: onnxruntime\.execution_mode: expected one of "sequential", "parallel" \(got "fast"\)/,
    );
    expect(records.some((record) => /model "broken" failed to load/.test(String(record.msg)))).toBe(
      true,
    );
  });

  it("reports the instance group in Triton's ModelConfig", async () => {
    const port = portOf(sidecar.addresses.http);
    const config = (await http(port, "/v2/models/scores/config")).json() as {
      instance_group: unknown;
    };
    // Triton's JSON has every field of the group, the ones left at their defaults too.
    expect(config.instance_group).toEqual([
      {
        name: "scores_0",
        kind: "KIND_GPU",
        count: 2,
        gpus: [0, 1],
        profile: [],
        passive: false,
        host_policy: "",
      },
    ]);
  });

  it("labels each instance's work with the GPU it ran on, beside that GPU's gauges", async () => {
    const port = portOf(sidecar.addresses.http);
    // Eight one-row requests at once, one row a batch and 20 ms each: four instances are
    // needed at once, so both GPUs' instances take some.
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        postJson(port, "/v2/models/scores/infer", {
          inputs: [{ name: "x", datatype: "FP32", shape: [1, 2], data: [1, 2] }],
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    const samples = parseSamples((await endpoint.scrape()).body);
    const rowsBy = (gpu: string) =>
      [...samples]
        .filter(
          ([key]) =>
            key.startsWith("gpu_sidecar_instance_rows_total{") &&
            key.includes('model="scores"') &&
            key.includes(`gpu="${gpu}"`),
        )
        .reduce((sum, [, value]) => sum + value, 0);
    expect(rowsBy("0") + rowsBy("1")).toBe(8);
    expect(rowsBy("0")).toBeGreaterThan(0);
    expect(rowsBy("1")).toBeGreaterThan(0);
    const series = [...samples.keys()].filter((key) =>
      key.startsWith("gpu_sidecar_instance_batches_total{"),
    );
    expect(series.every((key) => /kind="gpu"/.test(key))).toBe(true);
    expect(series.some((key) => key.includes('gpu="1",uuid="GPU-bbbb-1111"'))).toBe(true);
    await eventually(async () => {
      const gauges = parseSamples((await endpoint.scrape()).body);
      expect(gauges.get('gpu_sidecar_gpu_utilization_ratio{gpu="1",uuid="GPU-bbbb-1111"}')).toBe(
        0.07,
      );
    });
  });
});

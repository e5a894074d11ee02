import { Agent } from "node:http";
import { parseSidecarConfig } from "@gpu-sidecar/sidecar-core/config";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type * as ServerModule from "../src/index.js";
import type { Sidecar } from "../src/index.js";
import { createSidecarMetrics, type PrometheusMetrics } from "../src/metrics/sidecar-metrics.js";
import { parseSamples } from "./fixtures/metrics/metrics-harness.js";
import { FIXTURE_REPO, http, portOf, postJson } from "./server-harness.js";

// Model instances run the built worker entry, so the sidecar under test is the built one (as in
// the server tests); the metrics module is mounted into it from source, the way the CLI does.
const built = new URL("../dist/index.js", import.meta.url).href;
const { startSidecar } = (await import(built)) as typeof ServerModule;

const TWIN = 'model="twin",version="1"';

function rowsOf(rows: number) {
  return {
    inputs: [{ name: "x", shape: [rows, 4], datatype: "FP32", data: new Array(rows * 4).fill(1) }],
  };
}

describe("metrics of a running sidecar", () => {
  let sidecar: Sidecar;
  let metrics: PrometheusMetrics;
  let closeMetrics: ReturnType<typeof vi.spyOn>;

  beforeAll(async () => {
    metrics = createSidecarMetrics({
      logger: pino({ level: "silent" }),
      gpuPollIntervalMs: 0,
      nvidiaSmiPath: "nvidia-smi",
    });
    closeMetrics = vi.spyOn(metrics, "close");
    const config = parseSidecarConfig({
      model_repository: FIXTURE_REPO,
      models: ["twin"],
      model_control_mode: "explicit",
      server: { http_port: 0, grpc_port: false, metrics_port: 0, uds: { path: false } },
      log: { level: "silent" },
    });
    sidecar = await startSidecar(config, { logger: pino({ level: "silent" }), metrics });
  });
  afterAll(() => sidecar?.close());

  it("serves on the metrics port what the batcher recorded, agreeing with the statistics endpoint", async () => {
    const port = portOf(sidecar.addresses.http);
    // One at a time, so that each request is its own batch.
    for (const rows of [2, 1, 3]) {
      expect((await postJson(port, "/v2/models/twin/infer", rowsOf(rows))).status).toBe(200);
    }
    const invalid = { inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] };
    expect((await postJson(port, "/v2/models/twin/infer", invalid)).status).toBe(400);

    const metricsAddress = sidecar.addresses.metrics;
    expect(metricsAddress?.host).toBe("127.0.0.1");
    const scrape = await http(portOf(metricsAddress), "/metrics");
    expect(scrape.status).toBe(200);
    const samples = parseSamples(scrape.body.toString());
    expect(samples.get(`gpu_sidecar_requests_total{${TWIN},outcome="success"}`)).toBe(3);
    expect(samples.get(`gpu_sidecar_requests_total{${TWIN},outcome="rejected"}`)).toBe(1);
    expect(samples.get(`gpu_sidecar_inference_rows_total{${TWIN}}`)).toBe(6);
    expect(samples.get(`gpu_sidecar_batches_total{${TWIN}}`)).toBe(3);
    expect(samples.get(`gpu_sidecar_batch_size_rows_sum{${TWIN}}`)).toBe(6);
    expect(samples.get(`gpu_sidecar_pending_requests{${TWIN}}`)).toBe(0);
    expect(
      samples.get(`gpu_sidecar_request_duration_seconds_count{${TWIN},outcome="success"}`),
    ).toBe(3);
    expect(samples.get(`gpu_sidecar_request_queue_duration_seconds_count{${TWIN}}`)).toBe(3);
    expect(samples.get(`gpu_sidecar_batch_compute_duration_seconds_count{${TWIN}}`)).toBe(3);

    const stats = (await http(port, "/v2/models/twin/versions/1/stats")).json() as {
      model_stats: { inference_count: number; execution_count: number }[];
    };
    expect(stats.model_stats[0]).toMatchObject({ inference_count: 6, execution_count: 3 });
  });

  it("closes the metrics port and the metrics with the sidecar", async () => {
    const port = portOf(sidecar.addresses.metrics);
    await sidecar.close();
    expect(closeMetrics).toHaveBeenCalledTimes(1);
    // A new connection: a kept-alive one from the first test would only hang up.
    await expect(http(port, "/metrics", { agent: new Agent() })).rejects.toThrow(/ECONNREFUSED/);
  });
});

import { spawnSync } from "node:child_process";
import { Agent } from "node:http";
import { fileURLToPath } from "node:url";
import { parseSidecarConfig } from "@gpu-sidecar/sidecar-core/config";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type * as ServerModule from "../src/index.js";
import type { Sidecar } from "../src/index.js";
import { createSidecarMetrics, type PrometheusMetrics } from "../src/metrics/sidecar-metrics.js";
import { parseSamples } from "./fixtures/metrics/metrics-harness.js";
import { http, portOf, postJson } from "./server-harness.js";

/** `twin` (loads) and `broken` (fails to load: no model file). */
const BROKEN_REPO = fileURLToPath(new URL("./fixtures/server/broken-repo", import.meta.url));
const promtool = spawnSync("promtool", ["--version"]).status === 0;

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
      model_repository: BROKEN_REPO,
      models: ["twin", "broken"],
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
    expect(samples.get(`gpu_sidecar_inflight_requests{${TWIN}}`)).toBe(0);
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

  it("reports each model's load state, the failed one too", async () => {
    const samples = parseSamples(
      (await http(portOf(sidecar.addresses.metrics), "/metrics")).body.toString(),
    );
    const state = (model: string, value: string) =>
      samples.get(`gpu_sidecar_model_state{model="${model}",state="${value}"}`);
    expect([state("twin", "loaded"), state("twin", "failed"), state("twin", "loading")]).toEqual([
      1, 0, 0,
    ]);
    expect([state("broken", "loaded"), state("broken", "failed")]).toEqual([0, 1]);
    // The reason is in the repository index.
    const index = (
      await http(portOf(sidecar.addresses.http), "/v2/repository/index", { body: "" })
    ).json() as { name: string; state: string; reason: string }[];
    expect(index.find((entry) => entry.name === "broken")).toMatchObject({
      state: "UNAVAILABLE",
      reason: expect.stringContaining("model.onnx"),
    });
  });

  it("reports the process and runtime figures Prometheus users expect", async () => {
    const samples = parseSamples(
      (await http(portOf(sidecar.addresses.metrics), "/metrics")).body.toString(),
    );
    const cpu = samples.get("process_cpu_seconds_total") ?? 0;
    expect(cpu).toBeGreaterThan(0);
    expect(cpu).toBeCloseTo(
      (samples.get("process_cpu_user_seconds_total") ?? 0) +
        (samples.get("process_cpu_system_seconds_total") ?? 0),
      3,
    );
    expect(samples.get("process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
    expect(samples.get("process_start_time_seconds")).toBeLessThanOrEqual(Date.now() / 1000);
    expect(samples.get("nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    expect(samples.get("nodejs_heap_size_used_bytes")).toBeLessThanOrEqual(
      samples.get("nodejs_heap_size_total_bytes") ?? 0,
    );
    for (const name of [
      "nodejs_eventloop_lag_mean_seconds",
      "nodejs_eventloop_lag_p99_seconds",
      "nodejs_eventloop_lag_max_seconds",
    ]) {
      expect(samples.get(name), name).toBeGreaterThanOrEqual(0);
    }
  });

  it.skipIf(!promtool)(
    "passes `promtool check metrics` (Debian's prometheus package)",
    async () => {
      const body = (await http(portOf(sidecar.addresses.metrics), "/metrics")).body.toString();
      expect(body).toContain("gpu_sidecar_request_duration_seconds_bucket");
      const check = spawnSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8" });
      expect(check.stdout + check.stderr).toBe("");
      expect(check.status).toBe(0);
    },
  );

  it("closes the metrics port and the metrics with the sidecar", async () => {
    const port = portOf(sidecar.addresses.metrics);
    await sidecar.close();
    expect(closeMetrics).toHaveBeenCalledTimes(1);
    // A new connection: a kept-alive one from the first test would only hang up.
    await expect(http(port, "/metrics", { agent: new Agent() })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("metrics behind the bearer token (metrics.require_auth)", () => {
  const TOKEN = "scrape-secret";

  async function withSidecar(
    requireAuth: boolean,
    check: (port: number) => Promise<void>,
  ): Promise<void> {
    const config = parseSidecarConfig({
      model_repository: BROKEN_REPO,
      models: ["twin"],
      model_control_mode: "explicit",
      server: {
        http_port: false,
        grpc_port: false,
        metrics_port: 0,
        uds: { path: false },
        auth: { bearer_token: TOKEN },
      },
      metrics: { require_auth: requireAuth },
      log: { level: "silent" },
    });
    const metrics = createSidecarMetrics({
      logger: pino({ level: "silent" }),
      gpuPollIntervalMs: 0,
      nvidiaSmiPath: "nvidia-smi",
    });
    const sidecar = await startSidecar(config, { logger: pino({ level: "silent" }), metrics });
    try {
      await check(portOf(sidecar.addresses.metrics));
    } finally {
      await sidecar.close();
    }
  }

  it("refuses a scrape without the token or with a wrong one with 401 and says what to send; serves it with the token", async () => {
    await withSidecar(true, async (port) => {
      for (const headers of [{}, { Authorization: "Bearer wrong" }, { Authorization: TOKEN }]) {
        const refused = await http(port, "/metrics", { headers });
        expect(refused.status).toBe(401);
        expect(refused.headers["www-authenticate"]).toBe('Bearer realm="gpu-sidecar"');
        expect(refused.body.toString()).toContain("Authorization: Bearer <token>");
        expect(refused.body.toString()).toContain("metrics.require_auth");
        expect(refused.body.toString()).not.toContain("gpu_sidecar_");
      }
      const scraped = await http(port, "/metrics", {
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      expect(scraped.status).toBe(200);
      expect(scraped.body.toString()).toContain(`gpu_sidecar_model_state{model="twin"`);
    });
  });

  it("keeps /metrics open by default, even with a bearer token for inference", async () => {
    await withSidecar(false, async (port) => {
      const scraped = await http(port, "/metrics");
      expect(scraped.status).toBe(200);
      expect(scraped.body.toString()).toContain(`gpu_sidecar_model_state{model="twin"`);
    });
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { DURATION_BOUNDARIES_SECONDS } from "../src/metrics/histogram-boundaries.js";
import { createSidecarMetrics, type PrometheusMetrics } from "../src/metrics/sidecar-metrics.js";
import { SERVER_VERSION } from "../src/server/server-info.js";
import type { SidecarMetrics } from "../src/server/sidecar.js";
import {
  capturingLogger,
  type MetricsEndpoint,
  parseSamples,
  seriesNamed,
  serveMetrics,
} from "./fixtures/metrics/metrics-harness.js";

const open: { metrics: PrometheusMetrics; endpoint: MetricsEndpoint }[] = [];

async function start(): Promise<{ metrics: PrometheusMetrics; endpoint: MetricsEndpoint }> {
  const metrics = createSidecarMetrics({
    logger: capturingLogger().logger,
    gpuPollIntervalMs: 0,
    nvidiaSmiPath: "nvidia-smi",
  });
  const endpoint = await serveMetrics(metrics.handler);
  open.push({ metrics, endpoint });
  return { metrics, endpoint };
}

async function samplesOf(endpoint: MetricsEndpoint): Promise<Map<string, number>> {
  const answer = await endpoint.scrape();
  expect(answer.status).toBe(200);
  expect(answer.type).toMatch(/^text\/plain/);
  return parseSamples(answer.body);
}

afterEach(async () => {
  for (const { metrics, endpoint } of open.splice(0)) {
    await endpoint.close();
    await metrics.close();
  }
});

const FRAUD = 'model="fraud",version="1"';

describe("sidecar metrics", () => {
  it("fits the server's SidecarMetrics contract", async () => {
    const { metrics } = await start();
    // A compile-time check as much as a run-time one: the server takes this object as is.
    const wired: SidecarMetrics = metrics;
    expect(typeof wired.batcherMetrics).toBe("function");
    expect(typeof wired.handler).toBe("function");
  });

  it("counts requests by outcome, every outcome from zero, with exact labels", async () => {
    const { metrics, endpoint } = await start();
    const hooks = metrics.batcherMetrics("fraud", "1");
    hooks.onOutcome?.({ outcome: "success", rows: 2, queueTimeMs: 1, totalTimeMs: 4 });
    hooks.onOutcome?.({ outcome: "success", rows: 1, queueTimeMs: 3, totalTimeMs: 9 });
    hooks.onOutcome?.({ outcome: "rejected", rows: 0, queueTimeMs: 0, totalTimeMs: 0 });
    hooks.onOutcome?.({ outcome: "timeout", rows: 1, queueTimeMs: 50, totalTimeMs: 50 });
    hooks.onOutcome?.({ outcome: "failed", rows: 4, queueTimeMs: 2, totalTimeMs: 30 });
    const samples = await samplesOf(endpoint);
    expect(
      Object.fromEntries(
        seriesNamed(samples, "gpu_sidecar_requests_total").map((key) => [key, samples.get(key)]),
      ),
    ).toEqual({
      [`gpu_sidecar_requests_total{${FRAUD},outcome="success"}`]: 2,
      [`gpu_sidecar_requests_total{${FRAUD},outcome="rejected"}`]: 1,
      [`gpu_sidecar_requests_total{${FRAUD},outcome="timeout"}`]: 1,
      [`gpu_sidecar_requests_total{${FRAUD},outcome="cancelled"}`]: 0,
      [`gpu_sidecar_requests_total{${FRAUD},outcome="failed"}`]: 1,
    });
  });

  it("times queued requests end to end by outcome and their queue wait, not the refused ones", async () => {
    const { metrics, endpoint } = await start();
    const hooks = metrics.batcherMetrics("fraud", "1");
    hooks.onOutcome?.({ outcome: "success", rows: 2, queueTimeMs: 1, totalTimeMs: 4 });
    hooks.onOutcome?.({ outcome: "success", rows: 1, queueTimeMs: 3, totalTimeMs: 9 });
    hooks.onOutcome?.({ outcome: "cancelled", rows: 1, queueTimeMs: 20, totalTimeMs: 20 });
    // Refused at submit, as the batcher reports it: rows 0, no times.
    hooks.onOutcome?.({ outcome: "rejected", rows: 0, queueTimeMs: 0, totalTimeMs: 0 });
    hooks.onOutcome?.({ outcome: "cancelled", rows: 0, queueTimeMs: 0, totalTimeMs: 0 });
    const samples = await samplesOf(endpoint);
    const e2e = "gpu_sidecar_request_duration_seconds";
    expect(samples.get(`${e2e}_count{${FRAUD},outcome="success"}`)).toBe(2);
    expect(samples.get(`${e2e}_sum{${FRAUD},outcome="success"}`)).toBeCloseTo(0.013, 12);
    expect(samples.get(`${e2e}_count{${FRAUD},outcome="cancelled"}`)).toBe(1);
    expect(samples.get(`${e2e}_sum{${FRAUD},outcome="cancelled"}`)).toBeCloseTo(0.02, 12);
    expect(seriesNamed(samples, `${e2e}_count`).sort()).toEqual([
      `${e2e}_count{${FRAUD},outcome="cancelled"}`,
      `${e2e}_count{${FRAUD},outcome="success"}`,
    ]);
    // Cumulative buckets: 4 ms and 9 ms are both under 10 ms, only 4 ms under 5 ms.
    expect(samples.get(`${e2e}_bucket{${FRAUD},outcome="success",le="0.0025"}`)).toBe(0);
    expect(samples.get(`${e2e}_bucket{${FRAUD},outcome="success",le="0.005"}`)).toBe(1);
    expect(samples.get(`${e2e}_bucket{${FRAUD},outcome="success",le="0.01"}`)).toBe(2);
    expect(samples.get(`${e2e}_bucket{${FRAUD},outcome="success",le="+Inf"}`)).toBe(2);
    expect(seriesNamed(samples, `${e2e}_bucket`)).toHaveLength(
      2 * (DURATION_BOUNDARIES_SECONDS.length + 1),
    );
    const queue = "gpu_sidecar_request_queue_duration_seconds";
    expect(samples.get(`${queue}_count{${FRAUD}}`)).toBe(3);
    expect(samples.get(`${queue}_sum{${FRAUD}}`)).toBeCloseTo(0.024, 12);
    expect(samples.get(`${queue}_bucket{${FRAUD},le="0.001"}`)).toBe(1);
  });

  it("counts rows and batches, and histograms batch size and compute time, per batch", async () => {
    const { metrics, endpoint } = await start();
    const hooks = metrics.batcherMetrics("fraud", "1");
    hooks.onBatch?.({ rows: 8, requests: 3, queueTimeMs: 1, computeTimeMs: 12, ok: true });
    hooks.onBatch?.({ rows: 3, requests: 3, queueTimeMs: 1, computeTimeMs: 2, ok: true });
    hooks.onBatch?.({ rows: 1, requests: 1, queueTimeMs: 0, computeTimeMs: 1, ok: false });
    const samples = await samplesOf(endpoint);
    expect(samples.get(`gpu_sidecar_inference_rows_total{${FRAUD}}`)).toBe(12);
    expect(samples.get(`gpu_sidecar_batches_total{${FRAUD}}`)).toBe(3);
    const size = "gpu_sidecar_batch_size_rows";
    expect(samples.get(`${size}_count{${FRAUD}}`)).toBe(3);
    expect(samples.get(`${size}_sum{${FRAUD}}`)).toBe(12);
    expect(samples.get(`${size}_bucket{${FRAUD},le="1"}`)).toBe(1);
    expect(samples.get(`${size}_bucket{${FRAUD},le="2"}`)).toBe(1);
    expect(samples.get(`${size}_bucket{${FRAUD},le="4"}`)).toBe(2);
    expect(samples.get(`${size}_bucket{${FRAUD},le="8"}`)).toBe(3);
    const compute = "gpu_sidecar_batch_compute_duration_seconds";
    expect(samples.get(`${compute}_count{${FRAUD}}`)).toBe(3);
    expect(samples.get(`${compute}_sum{${FRAUD}}`)).toBeCloseTo(0.015, 12);
    expect(samples.get(`${compute}_bucket{${FRAUD},le="0.01"}`)).toBe(2);
  });

  it("reports pending requests as the sum over a version's batchers, back to zero when they empty", async () => {
    const { metrics, endpoint } = await start();
    // A reload: the old batcher drains while the new one queues.
    const old = metrics.batcherMetrics("fraud", "1");
    const reloaded = metrics.batcherMetrics("fraud", "1");
    old.onQueueDepth?.(3);
    reloaded.onQueueDepth?.(1);
    reloaded.onQueueDepth?.(2);
    expect((await samplesOf(endpoint)).get(`gpu_sidecar_pending_requests{${FRAUD}}`)).toBe(5);
    old.onQueueDepth?.(0);
    expect((await samplesOf(endpoint)).get(`gpu_sidecar_pending_requests{${FRAUD}}`)).toBe(2);
    reloaded.onQueueDepth?.(0);
    expect((await samplesOf(endpoint)).get(`gpu_sidecar_pending_requests{${FRAUD}}`)).toBe(0);
  });

  it("reports requests in flight (queued or running) as the sum over a version's batchers", async () => {
    const { metrics, endpoint } = await start();
    const old = metrics.batcherMetrics("fraud", "1");
    const reloaded = metrics.batcherMetrics("fraud", "1");
    old.onInFlight?.(4);
    reloaded.onInFlight?.(1);
    reloaded.onInFlight?.(3);
    // In flight counts running requests too: the queue may be empty meanwhile.
    old.onQueueDepth?.(0);
    const samples = await samplesOf(endpoint);
    expect(samples.get(`gpu_sidecar_inflight_requests{${FRAUD}}`)).toBe(7);
    expect(samples.get(`gpu_sidecar_pending_requests{${FRAUD}}`)).toBe(0);
    old.onInFlight?.(0);
    reloaded.onInFlight?.(0);
    expect((await samplesOf(endpoint)).get(`gpu_sidecar_inflight_requests{${FRAUD}}`)).toBe(0);
  });

  it("keeps each model version apart, and a version's counters across reloads", async () => {
    const { metrics, endpoint } = await start();
    const ok = { outcome: "success", rows: 1, queueTimeMs: 0, totalTimeMs: 1 } as const;
    metrics.batcherMetrics("fraud", "1").onOutcome?.(ok);
    metrics.batcherMetrics("fraud", "1").onOutcome?.(ok);
    metrics.batcherMetrics("fraud", "2").onOutcome?.(ok);
    metrics.batcherMetrics("twin", "1").onBatch?.({
      rows: 4,
      requests: 1,
      queueTimeMs: 0,
      computeTimeMs: 1,
      ok: true,
    });
    const samples = await samplesOf(endpoint);
    expect(samples.get(`gpu_sidecar_requests_total{${FRAUD},outcome="success"}`)).toBe(2);
    expect(
      samples.get('gpu_sidecar_requests_total{model="fraud",version="2",outcome="success"}'),
    ).toBe(1);
    expect(
      samples.get('gpu_sidecar_requests_total{model="twin",version="1",outcome="success"}'),
    ).toBe(0);
    expect(seriesNamed(samples, "gpu_sidecar_batches_total").sort()).toEqual([
      `gpu_sidecar_batches_total{${FRAUD}}`,
      'gpu_sidecar_batches_total{model="fraud",version="2"}',
      'gpu_sidecar_batches_total{model="twin",version="1"}',
    ]);
    expect(samples.get('gpu_sidecar_inference_rows_total{model="twin",version="1"}')).toBe(4);
  });

  it("serves no model series before a batcher exists, and no GPU series with polling off", async () => {
    const { endpoint } = await start();
    const samples = await samplesOf(endpoint);
    const keys = [...samples.keys()];
    expect(keys).toContain(
      `target_info{service_name="gpu-sidecar",service_version="${SERVER_VERSION}"}`,
    );
    // Only the process and runtime figures, which exist from the start.
    expect(keys.filter((key) => !/^(target_info|process_|nodejs_)/.test(key))).toEqual([]);
  });

  it("answers 404 off /metrics and 405 to other methods, and serves HEAD and a query string", async () => {
    const { endpoint } = await start();
    expect((await endpoint.scrape("/")).status).toBe(404);
    expect((await endpoint.scrape("/metrics/x")).status).toBe(404);
    expect((await endpoint.scrape("/metrics", "POST")).status).toBe(405);
    expect((await endpoint.scrape("/metrics", "HEAD")).status).toBe(200);
    const withQuery = await endpoint.scrape("/metrics?name[]=x");
    expect(withQuery.status).toBe(200);
    expect(withQuery.body).toContain("target_info");
  });

  it("closes idempotently", async () => {
    const metrics = createSidecarMetrics({
      logger: capturingLogger().logger,
      gpuPollIntervalMs: 0,
      nvidiaSmiPath: "nvidia-smi",
    });
    const first = metrics.close();
    expect(metrics.close()).toBe(first);
    await first;
  });
});

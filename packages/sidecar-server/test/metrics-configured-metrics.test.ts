import { setTimeout as sleep } from "node:timers/promises";
import { parseSidecarConfig } from "@gpu-sidecar/sidecar-core";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createConfiguredMetrics } from "../src/metrics/configured-metrics.js";
import { fakeNvidiaSmi } from "./fixtures/metrics/prometheus-scrape.js";

const silent = pino({ level: "silent" });

function configOf(metrics: object, server: object = {}) {
  return parseSidecarConfig({ model_repository: "/models", metrics, server });
}

describe("metrics from the sidecar config", () => {
  it("are off when metrics.enabled is false", () => {
    expect(createConfiguredMetrics(configOf({ enabled: false }), silent)).toBeUndefined();
  });

  it("are off when there is no metrics port to serve them", () => {
    expect(createConfiguredMetrics(configOf({}, { metrics_port: false }), silent)).toBeUndefined();
  });

  it("poll the configured nvidia-smi at the configured interval", async () => {
    const smi = await fakeNvidiaSmi("echo '0, GPU-a, 1, 1, 1'");
    const metrics = createConfiguredMetrics(
      configOf({ gpu_poll_interval_ms: 10, nvidia_smi_path: smi.path }),
      silent,
    );
    expect(metrics).toBeDefined();
    await sleep(200);
    await metrics?.close();
    // Every 10 ms for 200 ms, each poll also paying for a shell: clearly more than one.
    expect(await smi.runs()).toBeGreaterThanOrEqual(3);
  });
});

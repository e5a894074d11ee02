import { parseSidecarConfig } from "@gpu-sidecar/sidecar-core/config";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createConfiguredMetrics } from "../src/metrics/configured-metrics.js";
import { eventually, fakeNvidiaSmi } from "./fixtures/metrics/metrics-harness.js";

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
    // Polls 10 ms apart: several within the wait, where the default interval (2 s) gives one.
    await eventually(async () => expect(await smi.runs()).toBeGreaterThanOrEqual(3), 1500);
    await metrics?.close();
  });
});

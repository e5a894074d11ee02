import type * as TestingModule from "../src/testing/index.js";
import { parseSamples, seriesNamed } from "./fixtures/metrics/metrics-harness.js";

// The process tests run the built CLI through the package's own `testing` export, as a user's
// tests would. Typed from the source, imported by URL so that type-checking needs no build.
const built = new URL("../dist/testing.js", import.meta.url).href;
export const { spawnSidecar, stopAllSidecars } = (await import(built)) as typeof TestingModule;

/** The port of a listener URL such as `http://127.0.0.1:8000`. */
export function portOfUrl(url: string | undefined): number {
  if (url === undefined) throw new Error("the listener is off");
  return Number(new URL(url).port);
}

/** A gauge of a sidecar started with `--metrics-port`, summed over model versions. */
async function gaugeSum(metricsUrl: string | undefined, name: string): Promise<number> {
  if (metricsUrl === undefined) throw new Error("the metrics listener is off");
  const samples = parseSamples(await (await fetch(metricsUrl)).text());
  return seriesNamed(samples, name).reduce((sum, key) => sum + (samples.get(key) ?? 0), 0);
}

/** Requests queued (`gpu_sidecar_pending_requests`). */
export function pendingRequests(metricsUrl: string | undefined): Promise<number> {
  return gaugeSum(metricsUrl, "gpu_sidecar_pending_requests");
}

/** Requests accepted and not yet answered, queued or running (`gpu_sidecar_inflight_requests`). */
export function inFlightRequests(metricsUrl: string | undefined): Promise<number> {
  return gaugeSum(metricsUrl, "gpu_sidecar_inflight_requests");
}

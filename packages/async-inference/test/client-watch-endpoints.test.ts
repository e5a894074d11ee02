import { LifecycleState } from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it } from "vitest";
import { createSidecarClient, type SidecarClient } from "../src/client/sidecar-client.js";
import type { EndpointState } from "../src/index.js";
import { createFakeSidecar, fp32, MODEL, until } from "./client-fake-sidecar.js";

let client: SidecarClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
});

function connect(fakes: ReturnType<typeof createFakeSidecar>[]): SidecarClient {
  const urls = fakes.map((_, i) => `unix:///run/gpu-sidecar-${i}.sock`);
  client = createSidecarClient({
    endpoints: urls,
    createTransport: (address) =>
      (fakes[urls.indexOf(address.url)] as (typeof fakes)[number]).transport,
    reconnect: { initialDelayMs: 10, maxDelayMs: 20, jitter: 0 },
  });
  return client;
}

describe("watchEndpoints", () => {
  it("yields every endpoint at once, then each status change, as snapshots", async () => {
    const fakes = [createFakeSidecar(), createFakeSidecar()];
    const c = connect(fakes);
    const seen: EndpointState[] = [];
    const reading = (async () => {
      for await (const state of c.watchEndpoints()) seen.push(state);
    })();
    await until(() => seen.filter((s) => s.status === "serving").length === 2);
    expect(seen.slice(0, 2).map((s) => s.url)).toEqual([
      "unix:///run/gpu-sidecar-0.sock",
      "unix:///run/gpu-sidecar-1.sock",
    ]);
    (fakes[1] as (typeof fakes)[number]).lifecycle.transition(LifecycleState.Draining);
    await until(() => seen.at(-1)?.status === "not-serving");
    const last = seen.at(-1) as EndpointState;
    expect(last).toMatchObject({ url: "unix:///run/gpu-sidecar-1.sock", live: false });
    // A snapshot: later changes do not rewrite what was yielded.
    const firstServing = seen.find((s) => s.index === 1 && s.status === "serving");
    expect(firstServing?.live).toBe(true);
    await c.close();
    await reading;
  });

  it("reports an unreachable endpoint with its error, and ends with the signal", async () => {
    const fake = createFakeSidecar();
    const c = connect([fake]);
    const controller = new AbortController();
    const seen: EndpointState[] = [];
    const reading = (async () => {
      for await (const state of c.watchEndpoints({ signal: controller.signal })) seen.push(state);
    })();
    await until(() => seen.at(-1)?.status === "serving");
    fake.down = true;
    fake.breakConnections();
    await until(() => seen.at(-1)?.status === "unreachable");
    expect(seen.at(-1)?.lastError?.code).toBe("UNAVAILABLE");
    controller.abort();
    await reading;
  });
});

describe("modelStatistics", () => {
  it("reads ModelStatistics as plain numbers, for one model or all", async () => {
    const fake = createFakeSidecar();
    const c = connect([fake]);
    await c.infer(MODEL, [fp32("x", [1, 4], [1, 2, 3, 4])]);
    const [stats] = await c.modelStatistics(MODEL);
    expect(stats).toMatchObject({
      name: MODEL,
      version: "1",
      inferenceCount: 1,
      executionCount: 1,
      success: { count: 1, ns: 5_000n },
      queue: { count: 1, ns: 1_000n },
      fail: { count: 0, ns: 0n },
    });
    expect((await c.modelStatistics()).map((s) => s.name)).toEqual([MODEL]);
    await expect(c.modelStatistics("")).rejects.toThrow(/model/);
  });
});

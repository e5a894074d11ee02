import type { Interceptor } from "@connectrpc/connect";
import { LifecycleState } from "@gpu-sidecar/sidecar-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSidecarClient, type SidecarClient } from "../src/client/sidecar-client.js";
import type { SidecarClientOptions } from "../src/client/sidecar-client-options.js";
import {
  createFakeSidecar,
  type FakeSidecar,
  type FakeSidecarOptions,
  fp32,
  MODEL,
} from "./client-fake-sidecar.js";

const URL = "unix:///run/gpu-sidecar.sock";

let client: SidecarClient | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
});

afterEach(async () => {
  await client?.close();
  client = undefined;
  vi.useRealTimers();
});

/** Lets every promise chain settle while fake time stands still. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

/** Records the time of each call of `method` the client makes. */
function callTimes(method: string): { times: number[]; interceptor: Interceptor } {
  const times: number[] = [];
  return {
    times,
    interceptor: (next) => async (request) => {
      if (request.method.name === method) times.push(Date.now());
      return next(request);
    },
  };
}

function connect(fake: FakeSidecar, options: Partial<SidecarClientOptions> = {}): SidecarClient {
  client = createSidecarClient({
    endpoint: URL,
    createTransport: () => fake.transport,
    reconnect: { initialDelayMs: 100, multiplier: 2, maxDelayMs: 400, jitter: 0 },
    ...options,
  });
  return client;
}

function status(c: SidecarClient): string | undefined {
  return c.endpoints[0]?.status;
}

function fakeWith(method: string, options: FakeSidecarOptions = {}) {
  const recorded = callTimes(method);
  const fake = createFakeSidecar({ ...options, clientInterceptors: [recorded.interceptor] });
  return { fake, times: recorded.times };
}

describe("health watch per endpoint", () => {
  it("starts connecting, turns serving on the first Watch message and not-serving on a drain", async () => {
    const fake = createFakeSidecar();
    const c = connect(fake);
    expect(status(c)).toBe("connecting");
    expect(c.endpoints[0]?.live).toBe(false);
    await settle();
    expect(status(c)).toBe("serving");
    expect(c.endpoints[0]?.live).toBe(true);
    fake.lifecycle.transition(LifecycleState.Draining);
    await settle();
    expect(status(c)).toBe("not-serving");
    expect(c.endpoints[0]?.live).toBe(false);
  });

  it("marks the endpoint unreachable when the watch breaks, and serving again once it reconnects", async () => {
    const { fake, times } = fakeWith("Watch");
    const c = connect(fake);
    await settle();
    expect(status(c)).toBe("serving");
    fake.breakConnections();
    await settle();
    expect(status(c)).toBe("unreachable");
    expect(c.endpoints[0]?.lastError?.code).toBe("UNAVAILABLE");
    await vi.advanceTimersByTimeAsync(99);
    expect(times).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toEqual([0, 100]);
    expect(status(c)).toBe("serving");
    expect(c.endpoints[0]?.lastError).toBeUndefined();
  });

  it("retries with exponential backoff bounded by maxDelayMs, and starts over after a success", async () => {
    const { fake, times } = fakeWith("Watch");
    const c = connect(fake);
    await settle();
    fake.down = true;
    fake.breakConnections();
    await vi.advanceTimersByTimeAsync(1_500);
    // 100, then ×2 each time, capped at 400.
    expect(times).toEqual([0, 100, 300, 700, 1_100, 1_500]);
    expect(status(c)).toBe("unreachable");
    fake.down = false;
    await vi.advanceTimersByTimeAsync(400);
    expect(times.at(-1)).toBe(1_900);
    expect(status(c)).toBe("serving");
    fake.breakConnections();
    await vi.advanceTimersByTimeAsync(100);
    expect(times.at(-1)).toBe(2_000);
    expect(status(c)).toBe("serving");
  });

  it("spreads delays by jitter without ever exceeding the bound", async () => {
    const { fake, times } = fakeWith("Watch");
    connect(fake, {
      reconnect: { initialDelayMs: 100, multiplier: 2, maxDelayMs: 400, jitter: 1 },
    });
    await settle();
    fake.down = true;
    fake.breakConnections();
    await vi.advanceTimersByTimeAsync(10_000);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect(gaps.length).toBeGreaterThanOrEqual(25);
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(400);
    // Jitter 1 draws from 0 to 2× the base: the gaps differ.
    expect(new Set(gaps).size).toBeGreaterThan(1);
  });

  it("watches anew after a call failed with UNAVAILABLE, so a stale SERVING is not trusted", async () => {
    const { fake, times } = fakeWith("Watch");
    const c = connect(fake);
    await settle();
    fake.down = true;
    await expect(c.infer(MODEL, [fp32("x", [1, 1], [0])])).rejects.toMatchObject({
      code: "UNAVAILABLE",
    });
    expect(status(c)).toBe("unreachable");
    fake.down = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(times).toEqual([0, 100]);
    expect(status(c)).toBe("serving");
  });

  it("probes ServerReady every healthPollIntervalMs when the server has no Watch (Triton)", async () => {
    const { fake, times } = fakeWith("ServerReady", { withoutWatch: true, starting: true });
    const c = connect(fake, { healthPollIntervalMs: 1_000 });
    await settle();
    expect(times).toEqual([0]);
    expect(status(c)).toBe("not-serving");
    fake.lifecycle.transition(LifecycleState.Serving);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(times).toEqual([0, 1_000]);
    expect(status(c)).toBe("serving");
    fake.down = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(status(c)).toBe("unreachable");
    // A failed probe retries on the backoff schedule, not the poll interval.
    await vi.advanceTimersByTimeAsync(100);
    expect(times).toEqual([0, 1_000, 2_000, 2_100]);
  });

  it("probes ModelReady when the watched service is a model", async () => {
    const { fake, times } = fakeWith("ModelReady", { withoutWatch: true });
    const c = connect(fake, { healthService: MODEL });
    await settle();
    expect(times).toEqual([0]);
    expect(status(c)).toBe("serving");
  });

  it("watches the configured service name", async () => {
    const fake = createFakeSidecar();
    const c = connect(fake, { healthService: "unknown-model" });
    await settle();
    // The health protocol answers SERVICE_UNKNOWN for it: not serving.
    expect(status(c)).toBe("not-serving");
  });

  it("ends every watch on close", async () => {
    const fake = createFakeSidecar();
    const c = connect(fake);
    await settle();
    expect(fake.openWatches).toBe(1);
    await c.close();
    await settle();
    expect(fake.openWatches).toBe(0);
    expect(fake.lifecycle.listenerCount).toBe(0);
  });
});

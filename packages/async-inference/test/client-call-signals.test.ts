import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { createCallSignals } from "../src/client/call-signals.js";
import { createSidecarClient } from "../src/client/sidecar-client.js";
import { createFakeSidecar, fp32, MODEL } from "./client-fake-sidecar.js";

describe("call signals", () => {
  it("follow the caller's signal while open, and let go of it once released", () => {
    const calls = createCallSignals();
    const caller = new AbortController();
    const first = calls.open(caller.signal);
    const second = calls.open(caller.signal);
    expect(getEventListeners(caller.signal, "abort")).toHaveLength(2);
    first.release();
    second.release();
    expect(getEventListeners(caller.signal, "abort")).toHaveLength(0);
    const third = calls.open(caller.signal);
    caller.abort("stop");
    expect(third.signal.aborted).toBe(true);
    expect(third.signal.reason).toBe("stop");
    expect(first.signal.aborted).toBe(false);
  });

  it("abortAll aborts exactly the calls still open", () => {
    const calls = createCallSignals();
    const settled = calls.open(undefined);
    settled.release();
    const open = calls.open(undefined);
    calls.abortAll();
    expect(open.signal.aborted).toBe(true);
    expect(settled.signal.aborted).toBe(false);
  });

  it("start aborted when the caller's signal already is", () => {
    const calls = createCallSignals();
    expect(calls.open(AbortSignal.abort()).signal.aborted).toBe(true);
  });

  it("leave nothing on a long-lived caller signal after thousands of calls", async () => {
    const fake = createFakeSidecar();
    const client = createSidecarClient({
      endpoint: "unix:///a.sock",
      createTransport: () => fake.transport,
    });
    const service = new AbortController();
    try {
      for (let i = 0; i < 2_000; i += 1) {
        await client.infer(MODEL, [fp32("x", [1, 1], [i])], { signal: service.signal });
      }
      fake.infer = () => {
        throw new Error("boom");
      };
      await expect(
        client.infer(MODEL, [fp32("x", [1, 1], [0])], { signal: service.signal }),
      ).rejects.toThrow();
      expect(getEventListeners(service.signal, "abort")).toHaveLength(0);
    } finally {
      await client.close();
    }
  });
});

import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import { describe, expect, it } from "vitest";
import { createSidecarClient } from "../src/client/sidecar-client.js";
import { createFakeSidecar, fp32, MODEL, until } from "./client-fake-sidecar.js";

describe("SidecarClient.close", () => {
  it("is idempotent and awaitable, ends the health watches and cancels calls in flight", async () => {
    const fakes = [createFakeSidecar(), createFakeSidecar()];
    const client = createSidecarClient({
      endpoints: ["unix:///a.sock", "http://10.0.0.2:8001"],
      createTransport: (address) =>
        (fakes[address.url === "unix:///a.sock" ? 0 : 1] ?? expect.unreachable()).transport,
    });
    await until(() => fakes.every((fake) => fake.openWatches === 1));
    const first = fakes[0] ?? expect.unreachable();
    first.infer = (_request, context) =>
      new Promise((_resolve, reject) => {
        context.signal.addEventListener("abort", () => reject(context.signal.reason));
      });
    const inFlight = client.infer(MODEL, [fp32("x", [1, 1], [0])]).catch((error: unknown) => error);
    await until(() => first.inferCalls.length === 1);

    const closing = client.close();
    expect(client.close()).toBe(closing);
    await closing;

    const error = await inFlight;
    expect(error).toBeInstanceOf(SidecarError);
    expect((error as SidecarError).code).toBe(ErrorCode.Cancelled);
    await until(() => fakes.every((fake) => fake.openWatches === 0));
    expect(fakes.map((fake) => fake.lifecycle.listenerCount)).toEqual([0, 0]);
    expect(first.inferCalls[0]?.context.signal.aborted).toBe(true);
  });

  it("refuses calls and new sessions once closed", async () => {
    const fake = createFakeSidecar();
    const client = createSidecarClient({
      endpoint: "unix:///a.sock",
      createTransport: () => fake.transport,
    });
    await client.close();
    await expect(client.infer(MODEL, [fp32("x", [1, 1], [0])])).rejects.toMatchObject({
      code: ErrorCode.FailedPrecondition,
      message: "infer: the client is closed",
    });
    await expect(client.live()).rejects.toMatchObject({ code: ErrorCode.FailedPrecondition });
    expect(() => client.createStreamSession(MODEL)).toThrow(
      "createStreamSession: the client is closed",
    );
    expect(fake.inferCalls).toHaveLength(0);
  });
});

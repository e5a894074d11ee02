import { connect as connectHttp2, constants as http2 } from "node:http2";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GRPCInferenceService, LifecycleState } from "@gpu-sidecar/sidecar-core";
import { describe, expect, it, vi } from "vitest";
import {
  bytesOf,
  EXECUTORS,
  FIXTURE_REPO,
  portOf,
  start,
  watchQueues,
  withExecutor,
} from "./server-harness.js";

const request = {
  modelName: "slow",
  inputs: [{ name: "x", datatype: "FP32", shape: [1n, 4n] }],
  rawInputContents: [bytesOf(Float32Array.of(1, 2, 3, 4))],
};

function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  return call.then(
    () => "ok" as const,
    (error: unknown) => ConnectError.from(error).code,
  );
}

describe.each(EXECUTORS)("sidecar drain and limits (%s executor)", (executor) => {
  const repository = withExecutor(FIXTURE_REPO, executor);

  it("cuts the drain at drain_timeout_ms: the running batch finishes, queued requests fail UNAVAILABLE", async () => {
    const queues = watchQueues();
    const sidecar = await start({
      repository,
      drainTimeoutMs: 100,
      metrics: queues.metrics,
    });
    const client = createClient(
      GRPCInferenceService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${portOf(sidecar.addresses.grpc)}` }),
    );
    // One instance, one row per batch, 300 ms each: one runs, two wait.
    const calls = [0, 1, 2].map(() => codeOf(client.modelInfer(request)));
    await vi.waitUntil(() => queues.of("slow").depth === 2, { timeout: 5_000, interval: 5 });
    const drained = sidecar.drain();
    expect(sidecar.lifecycle.state).toBe(LifecycleState.Draining);
    expect(sidecar.drain()).toBe(drained);
    expect(await Promise.all(calls)).toEqual(["ok", Code.Unavailable, Code.Unavailable]);
    await drained;
    expect(sidecar.lifecycle.state).toBe(LifecycleState.Stopped);
    // The drain did not wait for the queued requests: only the running batch ran.
    expect(queues.of("slow").batches).toBe(1);
    await sidecar.close();
  });

  it("refuses a gRPC message over max_request_bytes with RESOURCE_EXHAUSTED", async () => {
    const sidecar = await start({ repository, maxRequestBytes: 1024 });
    try {
      const client = createClient(
        GRPCInferenceService,
        createGrpcTransport({ baseUrl: `http://127.0.0.1:${portOf(sidecar.addresses.grpc)}` }),
      );
      const rows = 100;
      const big = {
        modelName: "twin",
        inputs: [{ name: "x", datatype: "FP32", shape: [BigInt(rows), 4n] }],
        rawInputContents: [bytesOf(new Float32Array(rows * 4))],
      };
      expect(await codeOf(client.modelInfer(big))).toBe(Code.ResourceExhausted);
      // The connection survives the refusal.
      const small = {
        modelName: "twin",
        inputs: [{ name: "x", datatype: "FP32", shape: [1n, 4n] }],
        rawInputContents: [bytesOf(new Float32Array(4))],
      };
      expect(await codeOf(client.modelInfer(small))).toBe("ok");
    } finally {
      await sidecar.close();
    }
  });

  it("says GOAWAY first, answers what it accepted, and serves accepted streams during drain_grace_ms", async () => {
    const queues = watchQueues();
    const sidecar = await start({
      repository,
      drainGraceMs: 400,
      drainTimeoutMs: 5_000,
      metrics: queues.metrics,
    });
    const baseUrl = `http://127.0.0.1:${portOf(sidecar.addresses.grpc)}`;
    const session = connectHttp2(baseUrl);
    try {
      const goaway = new Promise<number>((resolve) => session.once("goaway", resolve));
      if (session.connecting) await new Promise((resolve) => session.once("connect", resolve));
      const client = createClient(GRPCInferenceService, createGrpcTransport({ baseUrl }));
      // A ModelStreamInfer stream open before the drain, fed one request at a time.
      const queue: (typeof twin)[] = [];
      let wake: () => void = () => {};
      let ended = false;
      const twin = {
        modelName: "twin",
        id: "",
        inputs: [{ name: "x", datatype: "FP32", shape: [1n, 4n] }],
        rawInputContents: [bytesOf(Float32Array.of(1, 2, 3, 4))],
      };
      const requests = (async function* () {
        for (;;) {
          const next = queue.shift();
          if (next !== undefined) yield next;
          else if (ended) return;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      })();
      const send = (id: string) => {
        queue.push({ ...twin, id });
        wake();
      };
      const responses = client.modelStreamInfer(requests)[Symbol.asyncIterator]();
      send("before");
      const first = await responses.next();
      expect(first.value).toMatchObject({ errorMessage: "", inferResponse: { id: "before" } });
      // A slow call accepted before the drain (one 300 ms batch).
      const slow = codeOf(client.modelInfer(request));
      await vi.waitUntil(() => queues.of("slow").inFlight === 1, { timeout: 5_000, interval: 5 });

      let slowDone = false;
      void slow.then(() => {
        slowDone = true;
      });
      const drained = sidecar.drain();
      // GOAWAY (NO_ERROR) reaches every connection first, before accepted work is answered.
      expect(await goaway).toBe(http2.NGHTTP2_NO_ERROR);
      expect(slowDone).toBe(false);
      // Within the grace, a stream accepted before the GOAWAY is still served.
      send("during");
      const second = await responses.next();
      expect(second.value).toMatchObject({ errorMessage: "", inferResponse: { id: "during" } });
      ended = true;
      wake();
      expect(await slow).toBe("ok");
      await drained;
      expect(sidecar.lifecycle.state).toBe(LifecycleState.Stopped);
    } finally {
      session.destroy();
      await sidecar.close();
    }
  });
});

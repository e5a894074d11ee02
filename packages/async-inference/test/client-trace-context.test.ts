import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { GRPCInferenceService, type ModelInferRequest } from "@gpu-sidecar/sidecar-core";
import { propagation } from "@opentelemetry/api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSidecarClient } from "../src/client/sidecar-client.js";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const dir = mkdtempSync(join(tmpdir(), "client-trace-"));
const socket = join(dir, "s.sock");
const seen: (string | null)[] = [];

/** An echo: the input comes back as the output. */
function answer(request: ModelInferRequest) {
  return {
    modelName: request.modelName,
    id: request.id,
    outputs: request.inputs.map((input) => ({
      name: "y",
      datatype: input.datatype,
      shape: input.shape,
    })),
    rawOutputContents: request.rawInputContents,
  };
}

const input = { name: "x", datatype: "FP32" as const, shape: [1, 1], data: new Uint8Array(4) };
const server = http2.createServer(
  connectNodeAdapter({
    routes(router) {
      router.service(GRPCInferenceService, {
        serverLive(_request, context) {
          seen.push(context.requestHeader.get("traceparent"));
          return { live: true };
        },
        modelInfer(request, context) {
          seen.push(context.requestHeader.get("traceparent"));
          return answer(request);
        },
        async *modelStreamInfer(requests, context) {
          seen.push(context.requestHeader.get("traceparent"));
          for await (const request of requests) yield { inferResponse: answer(request) };
        },
      });
    },
  }),
);

beforeAll(() => new Promise<void>((resolve) => server.listen(socket, resolve)));
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  propagation.disable();
  seen.length = 0;
});

describe("trace context", () => {
  it("sends the propagator's traceparent on every call of the built-in transports", async () => {
    propagation.setGlobalPropagator({
      inject: (_context, carrier, setter) => setter.set(carrier, "traceparent", TRACEPARENT),
      extract: (context) => context,
      fields: () => ["traceparent"],
    });
    for (const protocol of ["grpc", "connect"] as const) {
      const client = createSidecarClient({ endpoint: `unix://${socket}`, protocol });
      await client.live();
      await client.close();
    }
    expect(seen).toEqual([TRACEPARENT, TRACEPARENT]);
  });

  it("sends it on inference too, unary and stream, on the hot path and through Connect", async () => {
    propagation.setGlobalPropagator({
      inject: (_context, carrier, setter) => setter.set(carrier, "traceparent", TRACEPARENT),
      extract: (context) => context,
      fields: () => ["traceparent"],
    });
    for (const protocol of ["grpc", "connect"] as const) {
      const client = createSidecarClient({ endpoint: `unix://${socket}`, protocol });
      await client.infer("m", [input]);
      const session = client.createStreamSession("m");
      await session.infer([input]);
      await session.close();
      await client.close();
    }
    expect(seen).toEqual([TRACEPARENT, TRACEPARENT, TRACEPARENT, TRACEPARENT]);
  });

  it("sends no header when the application registered no propagator", async () => {
    const client = createSidecarClient({ endpoint: `unix://${socket}` });
    await client.live();
    await client.close();
    expect(seen).toEqual([null]);
  });
});

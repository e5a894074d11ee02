import { constants, createServer, type Http2Server, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Http2SessionManager } from "@connectrpc/connect-node";
import { ModelInferRequestSchema, ModelInferResponseSchema } from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it } from "vitest";
import { createGrpcModelInferCall } from "../src/client/grpc-model-infer-call.js";
import { createGrpcModelStreamInferCall } from "../src/client/grpc-model-stream-infer-call.js";
import { createRequestChannel } from "../src/client/request-channel.js";

let server: Http2Server | undefined;
let manager: Http2SessionManager | undefined;

afterEach(async () => {
  manager?.abort();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  manager = undefined;
});

/** A gRPC server whose every ModelInfer stream goes to `handle`. */
async function serve(
  handle: (stream: ServerHttp2Stream, headers: Record<string, unknown>) => void,
) {
  server = createServer();
  // The client's session manager closes with CANCEL, which the server's session and its
  // streams still open report.
  server.on("session", (session) => session.on("error", () => {}));
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    stream.on("data", () => {});
    handle(stream, headers);
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  manager = new Http2SessionManager(`http://127.0.0.1:${port}`);
  return createGrpcModelInferCall(manager, undefined);
}

const request = create(ModelInferRequestSchema, { modelName: "m", id: "7" });

function errorOf(call: Promise<unknown>): Promise<ConnectError> {
  return call.then(
    () => {
      throw new Error("expected a failure");
    },
    (reason: unknown) => ConnectError.from(reason),
  );
}

describe("unary gRPC ModelInfer on the HTTP/2 session", () => {
  it("sends one enveloped message with content-type, te and grpc-timeout, and reads the answer", async () => {
    let seen: Record<string, unknown> = {};
    const call = await serve((stream, headers) => {
      seen = headers;
      stream.on("end", () => {
        const bytes = toBinary(
          ModelInferResponseSchema,
          create(ModelInferResponseSchema, { modelName: "m", id: "7" }),
        );
        const envelope = Buffer.alloc(5 + bytes.byteLength);
        envelope.writeUInt32BE(bytes.byteLength, 1);
        envelope.set(bytes, 5);
        stream.respond(
          { ":status": 200, "content-type": "application/grpc+proto" },
          {
            waitForTrailers: true,
          },
        );
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(envelope);
      });
    });
    const response = await call(request, new AbortController().signal, 1500);
    expect(response.id).toBe("7");
    expect(seen["content-type"]).toBe("application/grpc+proto");
    expect(seen.te).toBe("trailers");
    expect(seen["grpc-timeout"]).toBe("1500m");
  });

  it("reads a trailers-only status with its percent-encoded message", async () => {
    const call = await serve((stream) => {
      stream.respond(
        {
          ":status": 200,
          "content-type": "application/grpc+proto",
          "grpc-status": String(Code.ResourceExhausted),
          "grpc-message": encodeURIComponent("queue full: 1 queued"),
        },
        { endStream: true },
      );
    });
    const error = await errorOf(call(request, new AbortController().signal, undefined));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe("queue full: 1 queued");
  });

  it("fails with DEADLINE_EXCEEDED at the deadline and resets the stream", async () => {
    let reset: Promise<number | undefined> = Promise.resolve(undefined);
    const call = await serve((stream) => {
      reset = new Promise((resolve) => stream.once("close", () => resolve(stream.rstCode)));
    });
    const error = await errorOf(call(request, new AbortController().signal, 50));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(await reset).toBe(8); // CANCEL
  });

  it("fails with CANCELED when the signal aborts, and the server sees the cancellation", async () => {
    let reset: Promise<number | undefined> = Promise.resolve(undefined);
    let received: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      received = resolve;
    });
    const call = await serve((stream) => {
      reset = new Promise((resolve) => stream.once("close", () => resolve(stream.rstCode)));
      received();
    });
    const controller = new AbortController();
    const pending = errorOf(call(request, controller.signal, undefined));
    // Aborts once the server holds the call, so that the cancellation has a stream to reset.
    await arrived;
    controller.abort();
    expect((await pending).code).toBe(Code.Canceled);
    expect(await reset).toBe(8);
  });

  it("maps a non-gRPC HTTP answer as gRPC does (503: UNAVAILABLE)", async () => {
    const call = await serve((stream) => stream.respond({ ":status": 503 }, { endStream: true }));
    const error = await errorOf(call(request, new AbortController().signal, undefined));
    expect(error.code).toBe(Code.Unavailable);
  });

  it("maps a refused stream (a draining sidecar) to UNAVAILABLE, which is safe to retry", async () => {
    const call = await serve((stream) => {
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
    });
    const error = await errorOf(call(request, new AbortController().signal, undefined));
    expect(error.code).toBe(Code.Unavailable);
  });

  it.each([
    ["ends the stream", (stream: ServerHttp2Stream) => stream.end()],
    [
      "resets it with NO_ERROR",
      (stream: ServerHttp2Stream) => stream.close(constants.NGHTTP2_NO_ERROR),
    ],
  ])(
    "maps a server that sends headers, then %s without a status, to UNAVAILABLE",
    async (_, end) => {
      const call = await serve((stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc+proto" });
        end(stream);
      });
      const error = await errorOf(call(request, new AbortController().signal, undefined));
      expect(error.code).toBe(Code.Unavailable);
      expect(error.rawMessage).toBe("the stream ended before the server sent the call's status");
    },
  );
});

describe("gRPC ModelStreamInfer on the HTTP/2 session", () => {
  it.each([
    ["ends its side", (stream: ServerHttp2Stream) => stream.end()],
    [
      "resets the stream with NO_ERROR",
      (stream: ServerHttp2Stream) => stream.close(constants.NGHTTP2_NO_ERROR),
    ],
  ])(
    "settles UNAVAILABLE when the server sends headers, then %s without a status, while this side is open",
    async (_, end) => {
      await serve((stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc+proto" });
        stream.once("data", () => end(stream));
      });
      const streamCall = createGrpcModelStreamInferCall(manager as Http2SessionManager, undefined);
      const requests = createRequestChannel<typeof request>();
      requests.push(request);
      const answers: unknown[] = [];
      const error = await errorOf(
        streamCall(requests, new AbortController().signal, (answer) => answers.push(answer)),
      );
      expect(error.code).toBe(Code.Unavailable);
      expect(answers).toEqual([]);
      requests.end();
    },
  );
});

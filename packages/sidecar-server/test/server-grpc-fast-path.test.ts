import { mkdirSync, writeFileSync } from "node:fs";
import { type ClientHttp2Stream, connect as http2Connect } from "node:http2";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import {
  encodeGrpcEnvelope,
  GRPCInferenceService,
  ModelInferRequestSchema,
} from "@gpu-sidecar/sidecar-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Sidecar } from "../src/index.js";
import { DEFAULT_MAX_CONCURRENT_STREAMS } from "../src/server/listeners.js";
import {
  bytesOf,
  float32s,
  fraudFeatures,
  portOf,
  start,
  tempDir,
  watchQueues,
} from "./server-harness.js";

/** A repository with the demo-style mock model and a slow one whose queue holds one request. */
function repository(): string {
  const root = tempDir();
  const model = (name: string, config: unknown) => {
    mkdirSync(join(root, name, "1"), { recursive: true });
    writeFileSync(join(root, name, "config.json"), JSON.stringify(config));
  };
  model("mock", {
    backend: "mock",
    max_batch_size: 8,
    mock: {
      inputs: [{ name: "features", datatype: "FP32", shape: [-1, 16] }],
      outputs: [{ name: "fraud_score", datatype: "FP32", shape: [-1, 1] }],
    },
  });
  model("slow", {
    backend: "mock",
    max_batch_size: 1,
    instances: 1,
    dynamic_batching: { max_queue_delay_us: 0, max_queue_size: 1 },
    mock: {
      inputs: [{ name: "x", datatype: "FP32", shape: [-1, 4] }],
      outputs: [{ name: "y", datatype: "FP32", shape: [-1, 1] }],
      fixed_latency_us: 300_000,
    },
  });
  return root;
}

async function codeOf(call: Promise<unknown>): Promise<ConnectError | undefined> {
  return call.then(
    () => undefined,
    (reason: unknown) => ConnectError.from(reason),
  );
}

const slowRequest = {
  modelName: "slow",
  inputs: [{ name: "x", datatype: "FP32", shape: [1n, 4n] }],
  rawInputContents: [bytesOf(Float32Array.of(1, 2, 3, 4))],
};

describe("plain gRPC ModelInfer (the path without Connect's pipeline)", () => {
  let sidecar: Sidecar;
  let base: string;
  // gRPC takes the plain path; the Connect protocol on the same port goes through Connect.
  let grpc: ReturnType<typeof createClient<typeof GRPCInferenceService>>;
  let viaConnect: ReturnType<typeof createClient<typeof GRPCInferenceService>>;

  const queues = watchQueues();

  /** Starts a `slow` call and resolves once `slow` has taken it off its queue: it runs. */
  async function slowRunning(): Promise<{ readonly running: Promise<unknown> }> {
    const before = queues.of("slow").dequeued;
    const running = grpc.modelInfer(slowRequest);
    await vi.waitUntil(() => queues.of("slow").dequeued > before, { timeout: 5_000, interval: 5 });
    return { running };
  }

  beforeAll(async () => {
    sidecar = await start({
      repository: repository(),
      uds: join(tempDir(), "s.sock"),
      metrics: queues.metrics,
    });
    base = `http://127.0.0.1:${portOf(sidecar.addresses.grpc)}`;
    grpc = createClient(GRPCInferenceService, createGrpcTransport({ baseUrl: base }));
    viaConnect = createClient(
      GRPCInferenceService,
      createConnectTransport({ baseUrl: base, httpVersion: "2" }),
    );
  });
  afterAll(() => sidecar?.close());

  it("answers as Connect does: outputs, id, model name and version", async () => {
    const features = fraudFeatures(3, 5);
    const request = {
      modelName: "mock",
      id: "r-1",
      inputs: [{ name: "features", datatype: "FP32", shape: [3n, 16n] }],
      rawInputContents: [bytesOf(features)],
    };
    const [plain, connect] = await Promise.all([
      grpc.modelInfer(request),
      viaConnect.modelInfer(request),
    ]);
    expect(plain.id).toBe("r-1");
    expect(plain.modelName).toBe(connect.modelName);
    expect(plain.modelVersion).toBe(connect.modelVersion);
    expect(plain.outputs).toEqual(connect.outputs);
    expect(float32s(plain.rawOutputContents[0] as Uint8Array)).toEqual(
      float32s(connect.rawOutputContents[0] as Uint8Array),
    );
  });

  it("answers many concurrent calls, each with its own id", async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        grpc.modelInfer({
          modelName: "mock",
          id: String(index),
          inputs: [{ name: "features", datatype: "FP32", shape: [1n, 16n] }],
          rawInputContents: [bytesOf(fraudFeatures(1, index))],
        }),
      ),
    );
    expect(answers.map((answer) => answer.id)).toEqual(answers.map((_, index) => String(index)));
  });

  it("fails with the same codes and messages as Connect", async () => {
    const unknown = { ...slowRequest, modelName: "nope" };
    const badType = {
      ...slowRequest,
      inputs: [{ name: "x", datatype: "FP99", shape: [1n, 4n] }],
    };
    for (const request of [unknown, badType]) {
      const plain = await codeOf(grpc.modelInfer(request));
      const connect = await codeOf(viaConnect.modelInfer(request));
      expect(plain?.code).toBeDefined();
      expect(plain?.code).toBe(connect?.code);
      expect(plain?.rawMessage).toBe(connect?.rawMessage);
    }
  });

  it("refuses at once with RESOURCE_EXHAUSTED when the queue is full", async () => {
    let ended = false;
    const running = (await slowRunning()).running.finally(() => {
      ended = true;
    });
    const queued = grpc.modelInfer(slowRequest);
    await vi.waitUntil(() => queues.of("slow").depth === 1, { timeout: 5_000, interval: 5 });
    const refused = await codeOf(grpc.modelInfer(slowRequest));
    expect(refused?.code).toBe(Code.ResourceExhausted);
    expect(refused?.rawMessage).toMatch(/queue full/);
    // At once: the refusal did not wait for the running batch to end.
    expect(ended).toBe(false);
    await Promise.all([running, queued]);
  });

  it("ends a call at its gRPC deadline", async () => {
    const { running } = await slowRunning();
    const late = await codeOf(grpc.modelInfer(slowRequest, { timeoutMs: 50 }));
    expect(late?.code).toBe(Code.DeadlineExceeded);
    await running;
  });

  it("ends a ModelStreamInfer that has answered with its error: a deadline, or a malformed message", async () => {
    const answered = create(ModelInferRequestSchema, {
      modelName: "mock",
      id: "a",
      inputs: [{ name: "features", datatype: "FP32", shape: [1n, 16n] }],
      rawInputContents: [bytesOf(fraudFeatures(1, 1))],
    });
    const session = http2Connect(base);
    try {
      // After the answer to a first request: the stream's deadline, then a message of garbage.
      const endings = [
        { headers: { "grpc-timeout": "300m" }, after: () => {}, code: Code.DeadlineExceeded },
        {
          headers: {},
          after: (stream: ClientHttp2Stream) =>
            stream.end(encodeGrpcEnvelope(Uint8Array.of(0xff, 0xff, 0xff))),
          code: Code.InvalidArgument,
        },
      ];
      for (const { headers, after, code } of endings) {
        const stream = session.request({
          ":method": "POST",
          ":path": "/inference.GRPCInferenceService/ModelStreamInfer",
          "content-type": "application/grpc",
          te: "trailers",
          ...headers,
        });
        const trailers = new Promise<Record<string, unknown>>((resolve) =>
          stream.once("trailers", (received) => resolve(received)),
        );
        stream.write(encodeGrpcEnvelope(toBinary(ModelInferRequestSchema, answered)));
        await new Promise((resolve) => stream.once("data", resolve));
        after(stream);
        stream.resume();
        // One set of trailers with the error (twice threw in the server and ended the process).
        expect((await trailers)["grpc-status"]).toBe(String(code));
      }
    } finally {
      session.close();
    }
    expect((await grpc.modelInfer({ ...answered, id: "after" })).id).toBe("after");
  });

  it("announces a bound on concurrent streams on the h2c port and the Unix socket", async () => {
    const settingsOf = (authority: string, path?: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        const session = http2Connect(
          authority,
          path === undefined ? {} : { createConnection: () => netConnect(path) },
        );
        session.once("error", reject);
        session.once("remoteSettings", (settings) => {
          session.close();
          resolve(settings.maxConcurrentStreams);
        });
      });
    expect(await settingsOf(base)).toBe(DEFAULT_MAX_CONCURRENT_STREAMS);
    expect(await settingsOf("http://localhost", sidecar.addresses.uds)).toBe(
      DEFAULT_MAX_CONCURRENT_STREAMS,
    );
  });
});

import { spawn } from "node:child_process";
import { cpSync, statSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import * as http2 from "node:http2";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import {
  DataType,
  ErrorCode,
  GRPCInferenceService,
  Health,
  HealthCheckResponse_ServingStatus,
  ModelInstanceGroup_Kind,
  SidecarError,
} from "@gpu-sidecar/sidecar-core";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fraudScore } from "../src/demo-model/fraud-reference.js";
import type { Sidecar } from "../src/index.js";
import {
  bytesOf,
  expectScores,
  FIXTURE_REPO,
  float32s,
  fraudFeatures,
  PACKAGE_MODELS,
  portOf,
  start,
  tempDir,
} from "./server-harness.js";

function h2cClient(port: number) {
  return createClient(
    GRPCInferenceService,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }),
  );
}

function udsTransport(path: string) {
  // The authority is only a header here: every connection is made to the socket.
  return createGrpcTransport({
    baseUrl: "http://localhost",
    nodeOptions: { createConnection: () => connect(path) },
  });
}

function fraudRequest(features: Float32Array, rows: number, id = "") {
  return {
    modelName: "fraud",
    modelVersion: "latest",
    id,
    inputs: [{ name: "FEATURES", datatype: "FP32", shape: [BigInt(rows), 16n] }],
    rawInputContents: [bytesOf(features)],
  };
}

async function expectCode(call: Promise<unknown>, code: Code): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => ConnectError.from(reason),
  );
  expect(error?.code).toBe(code);
  return error as ConnectError;
}

const coreRequire = createRequire(import.meta.url);
const PROTO = join(
  dirname(coreRequire.resolve("@gpu-sidecar/sidecar-core/package.json")),
  "proto/inference/grpc_service.proto",
);

interface GrpcJsInference extends grpc.Client {
  ModelConfig(
    request: unknown,
    callback: (
      error: grpc.ServiceError | null,
      response: { config: Record<string, unknown> },
    ) => void,
  ): void;
  ModelInfer(
    request: unknown,
    callback: (error: grpc.ServiceError | null, response: GrpcJsResponse) => void,
  ): void;
}
interface GrpcJsResponse {
  model_name: string;
  outputs: { name: string; shape: string[] }[];
  raw_output_contents: Buffer[];
}

function grpcJsClient(target: string): GrpcJsInference {
  const definition = protoLoader.loadSync(PROTO, {
    keepCase: true,
    longs: String,
    enums: String,
    includeDirs: [dirname(dirname(PROTO))],
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    inference: {
      GRPCInferenceService: new (
        target: string,
        credentials: grpc.ChannelCredentials,
      ) => GrpcJsInference;
    };
  };
  return new loaded.inference.GRPCInferenceService(target, grpc.credentials.createInsecure());
}

function grpcJsInfer(client: GrpcJsInference, features: Float32Array): Promise<GrpcJsResponse> {
  return new Promise((resolve, reject) => {
    client.ModelInfer(
      {
        model_name: "fraud",
        inputs: [{ name: "features", datatype: "FP32", shape: [1, 16] }],
        raw_input_contents: [Buffer.from(bytesOf(features))],
      },
      (error, response) => (error ? reject(error) : resolve(response)),
    );
  });
}

describe("GRPCInferenceService over the demo repository", () => {
  let sidecar: Sidecar;
  let uds: string;

  beforeAll(async () => {
    uds = join(tempDir(), "sidecar.sock");
    sidecar = await start({ repository: PACKAGE_MODELS, uds });
  });
  afterAll(() => sidecar?.close());

  it("answers liveness, readiness, server and model metadata over h2c", async () => {
    const client = h2cClient(portOf(sidecar.addresses.grpc));
    expect((await client.serverLive({})).live).toBe(true);
    expect((await client.serverReady({})).ready).toBe(true);
    expect((await client.modelReady({ name: "fraud", version: "latest" })).ready).toBe(true);
    expect((await client.modelReady({ name: "nope" })).ready).toBe(false);
    const server = await client.serverMetadata({});
    expect(server.name).toBe("gpu-sidecar");
    expect(server.extensions).toContain("statistics");
    const model = await client.modelMetadata({ name: "fraud" });
    expect(model.versions).toEqual(["1"]);
    expect(model.inputs.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ["features", "FP32", [-1n, 16n]],
    ]);
    expect(model.outputs.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ["fraud_score", "FP32", [-1n, 1n]],
    ]);
    const health = createClient(
      Health,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${portOf(sidecar.addresses.grpc)}` }),
    );
    expect((await health.check({ service: "" })).status).toBe(
      HealthCheckResponse_ServingStatus.SERVING,
    );
  });

  it("answers ModelConfig in Triton's inference.ModelConfig shape, over Connect and grpc-js", async () => {
    const client = h2cClient(portOf(sidecar.addresses.grpc));
    const { config } = await client.modelConfig({ name: "fraud" });
    expect(config).toMatchObject({
      name: "fraud",
      platform: "onnxruntime_onnx",
      backend: "onnxruntime",
      maxBatchSize: 64,
      input: [{ name: "features", dataType: DataType.TYPE_FP32, dims: [16n] }],
      output: [{ name: "fraud_score", dataType: DataType.TYPE_FP32, dims: [1n] }],
      instanceGroup: [{ kind: ModelInstanceGroup_Kind.CPU, count: 1 }],
    });
    expect(config?.schedulingChoice.case).toBe("dynamicBatching");
    await expectCode(client.modelConfig({ name: "nope" }), Code.NotFound);
    // A client built from Triton's own field numbers reads the same.
    const grpcJs = grpcJsClient(`127.0.0.1:${portOf(sidecar.addresses.grpc)}`);
    const answer = await new Promise<{ config: Record<string, unknown> }>((resolve, reject) =>
      grpcJs.ModelConfig({ name: "fraud", version: "1" }, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
    grpcJs.close();
    expect(answer.config).toMatchObject({
      name: "fraud",
      backend: "onnxruntime",
      max_batch_size: 64,
      input: [{ name: "features", data_type: "TYPE_FP32", dims: ["16"] }],
      dynamic_batching: {
        preferred_batch_size: [16, 32],
        default_queue_policy: { max_queue_size: 4096, allow_timeout_override: true },
      },
      instance_group: [{ kind: "KIND_CPU", count: 1 }],
    });
  });

  it("infers from raw_input_contents and answers in raw_output_contents", async () => {
    const client = h2cClient(portOf(sidecar.addresses.grpc));
    const features = fraudFeatures(4, 11);
    const response = await client.modelInfer(fraudRequest(features, 4, "r1"));
    expect(response.id).toBe("r1");
    expect(response.modelVersion).toBe("1");
    expect(response.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ["fraud_score", "FP32", [4n, 1n]],
    ]);
    expectScores(float32s(response.rawOutputContents[0] as Uint8Array), fraudScore(features, 4));
  });

  it("infers from typed contents", async () => {
    const client = h2cClient(portOf(sidecar.addresses.grpc));
    const features = fraudFeatures(1, 3);
    const response = await client.modelInfer({
      modelName: "fraud",
      inputs: [
        {
          name: "features",
          datatype: "FP32",
          shape: [1n, 16n],
          contents: { fp32Contents: Array.from(features) },
        },
      ],
    });
    const [score] = float32s(response.rawOutputContents[0] as Uint8Array);
    expect(score).toBeCloseTo(fraudScore(features, 1)[0] ?? Number.NaN, 6);
  });

  it("maps errors to gRPC codes and names the tensor", async () => {
    const client = h2cClient(portOf(sidecar.addresses.grpc));
    await expectCode(
      client.modelInfer({ ...fraudRequest(fraudFeatures(1), 1), modelName: "x" }),
      Code.NotFound,
    );
    await expectCode(
      client.modelInfer({ ...fraudRequest(fraudFeatures(1), 1), modelVersion: "9" }),
      Code.NotFound,
    );
    const bad = await expectCode(
      client.modelInfer({
        modelName: "fraud",
        inputs: [{ name: "features", datatype: "FP32", shape: [1n, 16n] }],
        rawInputContents: [new Uint8Array(12)],
      }),
      Code.InvalidArgument,
    );
    expect(bad.rawMessage).toContain("features");
    await expectCode(client.repositoryModelLoad({ modelName: "fraud" }), Code.FailedPrecondition);
  });

  it("bounds errors that echo huge names and shapes, so the next call on the connection works", async () => {
    const client = h2cClient(portOf(sidecar.addresses.grpc));
    const huge = "m".repeat(70_000);
    const errors = [
      await expectCode(
        client.modelInfer({ ...fraudRequest(fraudFeatures(1), 1), modelName: huge }),
        Code.NotFound,
      ),
      await expectCode(
        client.modelInfer({
          ...fraudRequest(fraudFeatures(1), 1),
          inputs: [{ name: huge, datatype: "FP32", shape: [1n, 16n] }],
        }),
        Code.InvalidArgument,
      ),
      await expectCode(
        client.modelInfer({
          ...fraudRequest(fraudFeatures(1), 1),
          inputs: [
            { name: "FEATURES", datatype: "FP32", shape: Array.from({ length: 20_000 }, () => 1n) },
          ],
        }),
        Code.InvalidArgument,
      ),
    ];
    for (const error of errors) {
      expect(error.rawMessage.length).toBeLessThan(1_000);
      expect(error.rawMessage).toContain("characters left out");
    }
    const answer = await client.modelInfer(fraudRequest(fraudFeatures(1, 5), 1));
    expect(answer.modelName).toBe("fraud");
  });

  it("answers each ModelStreamInfer request on its own; a bad one does not end the stream", async () => {
    const client = h2cClient(portOf(sidecar.addresses.grpc));
    const features = fraudFeatures(1, 21);
    async function* requests() {
      yield fraudRequest(features, 1, "good-1");
      yield { ...fraudRequest(features, 1, "bad"), rawInputContents: [new Uint8Array(3)] };
      yield fraudRequest(features, 1, "good-2");
    }
    const answers = new Map<string, { error: string; scores: number[] }>();
    for await (const response of client.modelStreamInfer(requests())) {
      const infer = response.inferResponse;
      answers.set(infer?.id ?? "?", {
        error: response.errorMessage,
        scores: infer?.rawOutputContents[0] ? float32s(infer.rawOutputContents[0]) : [],
      });
    }
    expect([...answers.keys()].sort()).toEqual(["bad", "good-1", "good-2"]);
    expect(answers.get("bad")?.error).toMatch(/^INVALID_ARGUMENT: .*tensor "FEATURES"/);
    const expected = fraudScore(features, 1)[0] ?? Number.NaN;
    for (const id of ["good-1", "good-2"]) {
      expect(answers.get(id)?.error).toBe("");
      expect(answers.get(id)?.scores[0]).toBeCloseTo(expected, 6);
    }
  });

  it("runs priority 0 and priorities past the model's levels at the default level, unary and streamed", async () => {
    const client = h2cClient(portOf(sidecar.addresses.grpc));
    const features = fraudFeatures(1, 3);
    const expected = fraudScore(features, 1)[0] ?? Number.NaN;
    const priority = (value: bigint) => ({
      priority: { parameterChoice: { case: "uint64Param" as const, value } },
    });
    const unary = await client.modelInfer({
      ...fraudRequest(features, 1),
      parameters: priority(10n),
    });
    expect(float32s(unary.rawOutputContents[0] as Uint8Array)[0]).toBeCloseTo(expected, 6);
    async function* requests() {
      yield { ...fraudRequest(features, 1, "zero"), parameters: priority(0n) };
      yield { ...fraudRequest(features, 1, "huge"), parameters: priority(2n ** 64n - 1n) };
    }
    const errors: string[] = [];
    for await (const response of client.modelStreamInfer(requests())) {
      errors.push(response.errorMessage);
    }
    expect(errors).toEqual(["", ""]);
  });

  it("answers a method it lacks with UNIMPLEMENTED (HTTP 200, grpc-status 12), never a bare 404", async () => {
    const port = portOf(sidecar.addresses.grpc);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      for (const path of [
        "/inference.GRPCInferenceService/SystemSharedMemoryStatus",
        "/no.such.Service/Method",
      ]) {
        const stream = session.request({
          ":method": "POST",
          ":path": path,
          "content-type": "application/grpc",
          te: "trailers",
        });
        stream.end(Buffer.from([0, 0, 0, 0, 0]));
        const [headers, flags] = await new Promise<[http2.IncomingHttpHeaders, number]>((resolve) =>
          stream.once("response", (h, f) => resolve([h, f])),
        );
        stream.resume();
        expect(headers[":status"]).toBe(200);
        expect(headers["grpc-status"]).toBe("12");
        expect(decodeURIComponent(String(headers["grpc-message"]))).toContain(path);
        // Trailers-only: the one HEADERS frame ends the stream.
        expect(flags & http2.constants.NGHTTP2_FLAG_END_STREAM).toBeTruthy();
      }
    } finally {
      session.close();
    }
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(
        "/inference.GRPCInferenceService/CudaSharedMemoryStatus",
        (value: Buffer) => value,
        (value: Buffer) => value,
        Buffer.alloc(0),
        (failure) => resolve(failure),
      ),
    );
    client.close();
    expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
    const web = await new Promise<{ status: number; grpcStatus: unknown }>((resolve, reject) => {
      const request = httpRequest(
        {
          host: "127.0.0.1",
          port: portOf(sidecar.addresses.http),
          path: "/inference.GRPCInferenceService/TraceSetting",
          method: "POST",
          headers: { "content-type": "application/grpc-web+proto" },
        },
        (response) => {
          response.resume();
          resolve({
            status: response.statusCode ?? 0,
            grpcStatus: response.headers["grpc-status"],
          });
        },
      );
      request.on("error", reject);
      request.end(Buffer.from([0, 0, 0, 0, 0]));
    });
    expect(web).toEqual({ status: 200, grpcStatus: "12" });
  });

  it("serves gRPC on the Unix socket, created owner-only", async () => {
    expect(statSync(uds).mode & 0o777).toBe(0o600);
    const client = createClient(GRPCInferenceService, udsTransport(uds));
    const features = fraudFeatures(2, 8);
    const response = await client.modelInfer(fraudRequest(features, 2));
    const scores = float32s(response.rawOutputContents[0] as Uint8Array);
    expect(scores[1]).toBeCloseTo(fraudScore(features, 2)[1] ?? Number.NaN, 6);
  });

  it("serves the Connect protocol on the HTTP/1.1 port", async () => {
    const client = createClient(
      GRPCInferenceService,
      createConnectTransport({
        baseUrl: `http://127.0.0.1:${portOf(sidecar.addresses.http)}`,
        httpVersion: "1.1",
      }),
    );
    expect((await client.serverMetadata({})).name).toBe("gpu-sidecar");
  });

  it("answers a plain @grpc/grpc-js client over TCP and the Unix socket", async () => {
    const features = fraudFeatures(1, 77);
    const expected = fraudScore(features, 1)[0] ?? Number.NaN;
    for (const target of [`127.0.0.1:${portOf(sidecar.addresses.grpc)}`, `unix:${uds}`]) {
      const client = grpcJsClient(target);
      try {
        const response = await grpcJsInfer(client, features);
        expect(response.model_name).toBe("fraud");
        expect(response.outputs[0]?.shape).toEqual(["1", "1"]);
        expect(float32s(response.raw_output_contents[0] as Buffer)[0]).toBeCloseTo(expected, 6);
      } finally {
        client.close();
      }
    }
  });

  it("reports ModelStatistics from the batcher's counters", async () => {
    const client = h2cClient(portOf(sidecar.addresses.grpc));
    const { modelStats } = await client.modelStatistics({ name: "fraud" });
    expect(modelStats).toHaveLength(1);
    const [stats] = modelStats;
    expect(stats?.version).toBe("1");
    expect(stats?.inferenceCount).toBeGreaterThanOrEqual(4n);
    expect(stats?.executionCount).toBeGreaterThan(0n);
    expect(stats?.inferenceStats?.success?.count).toBeGreaterThan(0n);
    expect(stats?.inferenceStats?.computeInput?.count).toBeGreaterThan(0n);
    expect(stats?.inferenceStats?.computeOutput?.count).toBeGreaterThan(0n);
    expect(stats?.batchStats.length).toBeGreaterThan(0);
    expect(stats?.batchStats[0]?.computeInfer?.ns).toBeGreaterThan(0n);
    await expectCode(client.modelStatistics({ name: "nope" }), Code.NotFound);
  });
});

describe("explicit model control", () => {
  let sidecar: Sidecar;
  let repository: string;

  beforeAll(async () => {
    repository = join(tempDir(), "repo");
    cpSync(FIXTURE_REPO, repository, { recursive: true });
    sidecar = await start({ repository, mode: "explicit", models: ["slow"] });
  });
  afterAll(() => sidecar?.close());

  it("loads, reloads, keeps the old version on a failed reload, and unloads", async () => {
    const client = h2cClient(portOf(sidecar.addresses.grpc));
    const index = await client.repositoryIndex({});
    expect(index.models.map((m) => [m.name, m.state])).toEqual([
      ["slow", "READY"],
      ["twin", "UNAVAILABLE"],
    ]);
    expect((await client.repositoryIndex({ ready: true })).models.map((m) => m.name)).toEqual([
      "slow",
    ]);
    expect((await client.modelReady({ name: "twin" })).ready).toBe(false);

    await client.repositoryModelLoad({ modelName: "twin" });
    expect((await client.modelReady({ name: "twin" })).ready).toBe(true);
    const infer = {
      modelName: "twin",
      inputs: [{ name: "x", datatype: "FP32", shape: [1n, 4n] }],
      rawInputContents: [bytesOf(Float32Array.of(1, 2, 3, 4))],
    };
    expect((await client.modelInfer(infer)).outputs.map((o) => o.name)).toEqual(["a", "b"]);

    writeFileSync(join(repository, "twin", "config.json"), '{"backend": "tensorflow"}');
    const failed = await expectCode(
      client.repositoryModelLoad({ modelName: "twin" }),
      Code.InvalidArgument,
    );
    expect(failed.rawMessage).toContain("backend");
    // The old version still serves.
    expect((await client.modelInfer(infer)).outputs).toHaveLength(2);
    expect((await client.serverReady({})).ready).toBe(true);

    await client.repositoryModelUnload({ modelName: "twin" });
    await expectCode(client.modelInfer(infer), Code.NotFound);
    expect((await client.serverReady({})).ready).toBe(true);
    await expectCode(client.repositoryModelUnload({ modelName: "twin" }), Code.NotFound);
    await expectCode(client.repositoryModelLoad({ modelName: "../slow" }), Code.InvalidArgument);
  });

  it("leaves no index entry for refused loads, and names the model, not the repository's path", async () => {
    const client = h2cClient(portOf(sidecar.addresses.grpc));
    const before = await client.repositoryIndex({});
    for (const name of ["../fraud", "/etc/passwd", "", "n".repeat(1 << 20), "absent"]) {
      const error = await client.repositoryModelLoad({ modelName: name }).then(
        () => undefined,
        (reason: unknown) => ConnectError.from(reason),
      );
      expect([Code.InvalidArgument, Code.NotFound]).toContain(error?.code);
      expect(error?.rawMessage).not.toContain(repository);
    }
    const notFound = await client.repositoryModelLoad({ modelName: "absent" }).then(
      () => undefined,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect(notFound?.code).toBe(Code.NotFound);
    expect(notFound?.rawMessage).toContain('model "absent" not found');
    expect(await client.repositoryIndex({})).toEqual(before);
  });

  it("lowers the queue timeout with the `timeout` parameter", async () => {
    const client = h2cClient(portOf(sidecar.addresses.grpc));
    const request = {
      modelName: "slow",
      inputs: [{ name: "x", datatype: "FP32", shape: [1n, 4n] }],
      rawInputContents: [bytesOf(Float32Array.of(1, 2, 3, 4))],
    };
    // The first request holds the only instance for 300 ms; the second may wait only 50 ms.
    const first = client.modelInfer(request);
    const second = client.modelInfer({
      ...request,
      parameters: { timeout: { parameterChoice: { case: "int64Param", value: 50_000n } } },
    });
    await expectCode(second, Code.DeadlineExceeded);
    expect((await first).outputs).toHaveLength(1);
  });
});

describe("listener guards", () => {
  it("requires the bearer token on gRPC except for health", async () => {
    const sidecar = await start({ repository: FIXTURE_REPO, bearerToken: "t0ken" });
    try {
      const baseUrl = `http://127.0.0.1:${portOf(sidecar.addresses.grpc)}`;
      const client = createClient(GRPCInferenceService, createGrpcTransport({ baseUrl }));
      expect((await client.serverLive({})).live).toBe(true);
      const health = createClient(Health, createGrpcTransport({ baseUrl }));
      expect((await health.check({ service: "" })).status).toBe(
        HealthCheckResponse_ServingStatus.SERVING,
      );
      await expectCode(client.modelMetadata({ name: "twin" }), Code.Unauthenticated);
      const metadata = await client.modelMetadata(
        { name: "twin" },
        { headers: { Authorization: "Bearer t0ken" } },
      );
      expect(metadata.name).toBe("twin");
    } finally {
      await sidecar.close();
    }
  });

  it("replaces a stale socket file, refuses a live one, and removes its own on close", async () => {
    const path = join(tempDir(), "stale.sock");
    // A process killed while listening leaves its socket file behind.
    const child = spawn(process.execPath, [
      "-e",
      `require("net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    await new Promise((resolve) => child.once("exit", resolve));
    expect(statSync(path).isSocket()).toBe(true);

    const sidecar = await start({ repository: FIXTURE_REPO, uds: path });
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const second = start({ repository: FIXTURE_REPO, uds: path }).then(
        () => undefined,
        (error: unknown) => error,
      );
      const error = await second;
      expect(error).toBeInstanceOf(SidecarError);
      expect((error as SidecarError).code).toBe(ErrorCode.FailedPrecondition);
      expect((error as SidecarError).message).toContain("another process is listening");
    } finally {
      await sidecar.close();
    }
    expect(() => statSync(path)).toThrow();
  });
});

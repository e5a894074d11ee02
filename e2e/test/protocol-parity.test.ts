// The protocol parity suite: every protocol behaviour of inference (answers, errors and their
// codes and messages, deadlines, cancellation, auth, size limits) against both paths of the
// server (the hot path and Connect) from both paths of the client (the hot path and Connect's
// gRPC transport) and from a plain @grpc/grpc-js client, so that the paths cannot drift apart.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as http2Connect, type IncomingHttpHeaders } from "node:http2";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  createSidecarClient,
  type EndpointAddress,
  type SidecarClient,
  traceContextInterceptor,
} from "@gpu-sidecar/async-inference";
import {
  decodeGrpcMessage,
  ErrorCode,
  errorCodeOfGrpc,
  GRPCInferenceService,
  ModelInferRequestSchema,
  SidecarError,
} from "@gpu-sidecar/sidecar-core";
import { parseSidecarConfig } from "@gpu-sidecar/sidecar-core/config";
import { type Sidecar, startSidecar } from "@gpu-sidecar/sidecar-server";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const TOKEN = "parity-secret";
const MAX_REQUEST_BYTES = 4096;
const FEATURES = 16;

const dir = mkdtempSync(join(tmpdir(), "parity-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `mock` answers at once; `slow` takes 300 ms per batch of one row and queues two more. */
function repository(): string {
  const root = join(dir, "repo");
  const model = (name: string, config: unknown) => {
    mkdirSync(join(root, name, "1"), { recursive: true });
    writeFileSync(join(root, name, "config.json"), JSON.stringify(config));
  };
  model("mock", {
    backend: "mock",
    max_batch_size: 8,
    mock: {
      inputs: [{ name: "x", datatype: "FP32", shape: [-1, FEATURES] }],
      outputs: [{ name: "y", datatype: "FP32", shape: [-1, 1] }],
    },
  });
  // The stream deadline and cancellation test's own model, so that the work it leaves
  // running cannot fill the queue of "slow" for the tests after it.
  model("slow-stream", {
    backend: "mock",
    max_batch_size: 1,
    instances: 1,
    dynamic_batching: { max_queue_delay_us: 0, max_queue_size: 2 },
    mock: {
      inputs: [{ name: "x", datatype: "FP32", shape: [-1, FEATURES] }],
      outputs: [{ name: "y", datatype: "FP32", shape: [-1, 1] }],
      fixed_latency_us: 300_000,
    },
  });
  // Answers in 20 ms: a call with a 1 ms deadline is always still running when it passes.
  model("deadline", {
    backend: "mock",
    max_batch_size: 8,
    mock: {
      inputs: [{ name: "x", datatype: "FP32", shape: [-1, FEATURES] }],
      outputs: [{ name: "y", datatype: "FP32", shape: [-1, 1] }],
      fixed_latency_us: 20_000,
    },
  });
  model("slow", {
    backend: "mock",
    max_batch_size: 1,
    instances: 1,
    dynamic_batching: { max_queue_delay_us: 0, max_queue_size: 2 },
    mock: {
      inputs: [{ name: "x", datatype: "FP32", shape: [-1, FEATURES] }],
      outputs: [{ name: "y", datatype: "FP32", shape: [-1, 1] }],
      fixed_latency_us: 300_000,
    },
  });
  return root;
}
const REPOSITORY = repository();

async function startWith(hotPath: boolean, bearerToken?: string): Promise<Sidecar> {
  const config = parseSidecarConfig({
    model_repository: REPOSITORY,
    server: {
      http_port: 0,
      grpc_port: 0,
      metrics_port: false,
      uds: { path: false },
      limits: { max_request_bytes: MAX_REQUEST_BYTES },
      auth: bearerToken === undefined ? {} : { bearer_token: bearerToken },
    },
    log: { level: "silent" },
  });
  const queues = new Map<string, { depth: number; dequeued: number }>();
  const sidecar = await startSidecar(config, {
    hotPath,
    metrics: {
      batcherMetrics: (model) => ({
        onQueueDepth(depth) {
          const queue = queues.get(model) ?? { depth: 0, dequeued: 0 };
          if (depth < queue.depth) queue.dequeued += queue.depth - depth;
          queue.depth = depth;
          queues.set(model, queue);
        },
      }),
    },
  });
  queuesOf.set(sidecar, queues);
  return sidecar;
}

const queuesOf = new WeakMap<Sidecar, Map<string, { depth: number; dequeued: number }>>();

/**
 * Resolves once `model`'s queue has let one more request run since `dequeuedBefore` and holds
 * another one: the state a cancellation test needs, waited for instead of slept for.
 */
async function oneRunsOneQueued(sidecar: Sidecar, model: string, dequeuedBefore: number) {
  await vi.waitUntil(
    () => {
      const queue = queuesOf.get(sidecar)?.get(model);
      return queue !== undefined && queue.dequeued > dequeuedBefore && queue.depth >= 1;
    },
    { timeout: 5_000, interval: 5 },
  );
}

/** Inference requests `sidecar` has answered or refused so far, over every model. */
function inferences(sidecar: Sidecar): number {
  return sidecar.models
    .statistics()
    .reduce(
      (sum, { statistics }) =>
        sum + statistics.success.count + statistics.fail.count + statistics.rejectedCount,
      0,
    );
}

/** Requests `model`'s queue has let go so far. */
function dequeued(sidecar: Sidecar, model: string): number {
  return queuesOf.get(sidecar)?.get(model)?.dequeued ?? 0;
}

/** What any caller saw: the output values, or the error's code and the server's message. */
type Outcome =
  | { readonly ok: true; readonly values: number[] }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

interface Request {
  readonly model: string;
  readonly rows: number;
  readonly datatype?: string;
  readonly seed?: number;
}

interface CallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A client of one kind: ours on either path, or grpc-js. */
interface Caller {
  infer(request: Request, options?: CallOptions): Promise<Outcome>;
  /** The requests over one ModelStreamInfer stream, outcomes in request order. */
  stream(requests: readonly Request[]): Promise<Outcome[]>;
  close(): Promise<void>;
}

function features(request: Request): Float32Array {
  const values = new Float32Array(request.rows * FEATURES);
  for (let i = 0; i < values.length; i++) values[i] = ((i * 7 + (request.seed ?? 0)) % 13) / 13;
  return values;
}

/** The mock backend's answer: the sigmoid of each row's mean. */
function expected(request: Request): number[] {
  const values = features(request);
  return Array.from({ length: request.rows }, (_, row) => {
    let sum = 0;
    for (let i = 0; i < FEATURES; i++) sum += values[row * FEATURES + i] as number;
    return Math.fround(1 / (1 + Math.exp(-sum / FEATURES)));
  });
}

function bytes(values: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** The request's input bytes in its datatype (FP64 is well-formed, just not what models take). */
function inputBytes(request: Request): Uint8Array {
  const values = features(request);
  return bytes(request.datatype === "FP64" ? Float64Array.from(values) : values);
}

function floats(data: Uint8Array): number[] {
  // A copy: a received Buffer may be a view into a larger pooled one.
  return [...new Float32Array(Uint8Array.from(data).buffer)];
}

/**
 * The server's own message inside our client's: `<call> on <url>: [Code] <message>` for a
 * call's status, `ModelStreamInfer on <url>: CODE: <message>` for a stream answer's error.
 */
function serverMessage(error: SidecarError): string {
  return error.message
    .replace(/^\w+ on \S+: /, "")
    .replace(/^\[[A-Za-z]+\] /, "")
    .replace(/^[A-Z_]+: /, "");
}

function ourFailure(reason: unknown): Outcome {
  const error = SidecarError.from(reason);
  return { ok: false, code: error.code, message: serverMessage(error) };
}

function ourCaller(
  baseUrls: readonly string[],
  path: "hot path" | "Connect",
  token?: string,
): Caller {
  const client: SidecarClient = createSidecarClient({
    endpoints: baseUrls,
    ...(token === undefined ? {} : { token }),
    ...(path === "Connect"
      ? {
          createTransport: (address: EndpointAddress) =>
            createGrpcTransport({
              baseUrl: address.locality === "unix" ? "http://localhost" : address.baseUrl,
              interceptors: [traceContextInterceptor],
            }),
        }
      : {}),
  });
  const tensor = (request: Request) => ({
    name: "x",
    datatype: (request.datatype ?? "FP32") as "FP32" | "FP64",
    shape: [request.rows, FEATURES],
    data: inputBytes(request),
  });
  const outcome = (outputs: { data: Uint8Array }[]): Outcome => ({
    ok: true,
    values: floats(outputs[0]?.data ?? new Uint8Array()),
  });
  return {
    async infer(request, options = {}) {
      try {
        return outcome(await client.infer(request.model, [tensor(request)], options));
      } catch (error) {
        return ourFailure(error);
      }
    },
    async stream(requests) {
      const session = client.createStreamSession(requests[0]?.model ?? "mock");
      try {
        return await Promise.all(
          requests.map((request) =>
            session.infer([tensor(request)]).then(outcome, (error: unknown) => ourFailure(error)),
          ),
        );
      } finally {
        await session.close();
      }
    },
    close: () => client.close(),
  };
}

const PROTO = join(
  dirname(createRequire(import.meta.url).resolve("@gpu-sidecar/sidecar-core/package.json")),
  "proto/inference/grpc_service.proto",
);

interface GrpcJsResponse {
  id: string;
  raw_output_contents: Buffer[];
}
interface GrpcJsInference extends grpc.Client {
  ModelInfer(
    request: unknown,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response: GrpcJsResponse) => void,
  ): grpc.ClientUnaryCall;
  ModelStreamInfer(
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<unknown, { error_message: string; infer_response: GrpcJsResponse }>;
}

function grpcJsService(target: string): GrpcJsInference {
  const definition = protoLoader.loadSync(PROTO, {
    keepCase: true,
    longs: String,
    defaults: true,
    // The service's proto imports its neighbours as `inference/…`.
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

function grpcJsRequest(request: Request, id = "") {
  return {
    model_name: request.model,
    id,
    inputs: [{ name: "x", datatype: request.datatype ?? "FP32", shape: [request.rows, FEATURES] }],
    raw_input_contents: [Buffer.from(inputBytes(request))],
  };
}

function grpcJsFailure(error: grpc.ServiceError): Outcome {
  return { ok: false, code: errorCodeOfGrpc(error.code), message: error.details };
}

function grpcJsCaller(target: string, token?: string): Caller {
  const service = grpcJsService(target);
  const metadata = () => {
    const m = new grpc.Metadata();
    if (token !== undefined) m.set("authorization", `Bearer ${token}`);
    return m;
  };
  return {
    infer(request, options = {}) {
      return new Promise((resolve) => {
        const call = service.ModelInfer(
          grpcJsRequest(request),
          metadata(),
          options.timeoutMs === undefined ? {} : { deadline: Date.now() + options.timeoutMs },
          (error, response) =>
            resolve(
              error
                ? grpcJsFailure(error)
                : { ok: true, values: floats(response.raw_output_contents[0] as Buffer) },
            ),
        );
        options.signal?.addEventListener("abort", () => call.cancel());
      });
    },
    stream(requests) {
      return new Promise((resolve) => {
        const outcomes = new Map<string, Outcome>();
        const call = service.ModelStreamInfer(metadata());
        call.on("data", (response) => {
          const id = response.infer_response?.id ?? "";
          outcomes.set(
            id,
            response.error_message === ""
              ? {
                  ok: true,
                  values: floats(response.infer_response.raw_output_contents[0] as Buffer),
                }
              : {
                  ok: false,
                  code: streamCode(response.error_message),
                  message: response.error_message.replace(/^[A-Z_]+: /, ""),
                },
          );
        });
        const settle = (failure?: Outcome) =>
          resolve(requests.map((_, index) => outcomes.get(String(index)) ?? (failure as Outcome)));
        call.on("error", (error: grpc.ServiceError) => settle(grpcJsFailure(error)));
        call.on("end", () => settle());
        for (const [index, request] of requests.entries()) {
          call.write(grpcJsRequest(request, String(index)));
        }
        call.end();
      });
    },
    async close() {
      service.close();
    },
  };
}

function streamCode(message: string): ErrorCode {
  const prefix = /^([A-Z_]+):/.exec(message)?.[1];
  return (Object.values(ErrorCode) as string[]).includes(prefix ?? "")
    ? (prefix as ErrorCode)
    : ErrorCode.Internal;
}

/** What a raw gRPC call saw: its status, message and `grpc-accept-encoding`, and any messages. */
interface RawGrpcAnswer {
  readonly status: number | undefined;
  readonly message: string | undefined;
  readonly acceptEncoding: string | undefined;
  readonly bytes: number;
}

/** The protobuf bytes of a ModelInferRequest, as any client encodes it. */
function requestBytes(request: Request, id = ""): Uint8Array {
  return toBinary(
    ModelInferRequestSchema,
    create(ModelInferRequestSchema, {
      modelName: request.model,
      id,
      inputs: [{ name: "x", datatype: "FP32", shape: [BigInt(request.rows), BigInt(FEATURES)] }],
      rawInputContents: [inputBytes(request)],
    }),
  );
}

/** One gRPC length-prefixed message; `compressed` sets its flag. */
function envelope(payload: Uint8Array, compressed = false): Buffer {
  const framed = Buffer.alloc(5 + payload.byteLength);
  framed[0] = compressed ? 1 : 0;
  framed.writeUInt32BE(payload.byteLength, 1);
  framed.set(payload, 5);
  return framed;
}

/**
 * A gRPC call written by hand on node:http2, for what no client sends: a chosen
 * `grpc-encoding` or `grpc-timeout`, a malformed compressed message.
 */
function rawGrpc(
  port: number | undefined,
  method: "ModelInfer" | "ModelStreamInfer",
  headers: Record<string, string>,
  body: Uint8Array,
): Promise<RawGrpcAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": `/inference.GRPCInferenceService/${method}`,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const seen: IncomingHttpHeaders = {};
    let bytes = 0;
    stream.on("response", (response) => Object.assign(seen, response));
    stream.on("trailers", (trailers) => Object.assign(seen, trailers));
    stream.on("data", (chunk: Buffer) => {
      bytes += chunk.byteLength;
    });
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      const header = (name: string) => {
        const value = seen[name];
        return typeof value === "string" ? value : undefined;
      };
      const status = header("grpc-status");
      const message = header("grpc-message");
      resolve({
        status: status === undefined ? undefined : Number(status),
        message: message === undefined ? undefined : decodeGrpcMessage(message),
        acceptEncoding: header("grpc-accept-encoding"),
        bytes,
      });
    });
    stream.end(body);
  });
}

const SERVER_PATHS = [
  ["hot path", true],
  ["Connect", false],
] as const;
const OUR_CALLERS = ["our client, hot path", "our client, Connect"] as const;
const CALLERS = [...OUR_CALLERS, "@grpc/grpc-js"] as const;

/** Every outcome each behaviour produced, by server path and caller: they must all agree. */
const seen = new Map<string, { where: string; outcome: Outcome }[]>();
function record(behaviour: string, where: string, outcome: Outcome): void {
  const list = seen.get(behaviour) ?? [];
  list.push({ where, outcome });
  seen.set(behaviour, list);
}

/**
 * A caller of `sidecar`; ours fails over to `fallback`'s endpoint when given, which grpc-js
 * cannot.
 */
function makeCaller(
  kind: (typeof CALLERS)[number],
  sidecar: Sidecar,
  token?: string,
  fallback?: Sidecar,
): Caller {
  const port = sidecar.addresses.grpc?.port;
  if (kind === "@grpc/grpc-js") return grpcJsCaller(`127.0.0.1:${port}`, token);
  const urls = [sidecar, ...(fallback === undefined ? [] : [fallback])].map(
    (s) => `http://127.0.0.1:${s.addresses.grpc?.port}`,
  );
  return ourCaller(urls, kind === "our client, hot path" ? "hot path" : "Connect", token);
}

describe.each(SERVER_PATHS)("server on the %s", (serverPath, hotPath) => {
  let sidecar: Sidecar;
  beforeAll(async () => {
    sidecar = await startWith(hotPath);
  });
  afterAll(() => sidecar?.close());

  it("ends a ModelStreamInfer call at its deadline, and a cancelled one drops its queued requests", async () => {
    const service = grpcJsService(`127.0.0.1:${sidecar.addresses.grpc?.port}`);
    const slow = { model: "slow-stream", rows: 1 };
    try {
      const late = service.ModelStreamInfer(new grpc.Metadata(), { deadline: Date.now() + 100 });
      late.on("data", () => {});
      const status = new Promise<grpc.ServiceError>((resolve) => late.on("error", resolve));
      late.write(grpcJsRequest(slow, "0"));
      expect((await status).code).toBe(grpc.status.DEADLINE_EXCEEDED);

      const statistics = () => sidecar.models.statistics("slow-stream")[0]?.statistics;
      const cancelledBefore = statistics()?.cancelledCount ?? 0;
      const dequeuedBefore = dequeued(sidecar, "slow-stream");
      const cancelled = service.ModelStreamInfer(new grpc.Metadata());
      cancelled.on("data", () => {});
      cancelled.on("error", () => {});
      cancelled.write(grpcJsRequest(slow, "1"));
      cancelled.write(grpcJsRequest(slow, "2"));
      await oneRunsOneQueued(sidecar, "slow-stream", dequeuedBefore);
      cancelled.cancel();
      await vi.waitUntil(() => (statistics()?.cancelledCount ?? 0) > cancelledBefore, {
        timeout: 1_000,
        interval: 5,
      });
    } finally {
      service.close();
    }
  });

  it("answers an expired grpc-timeout (1m, 1n) with DEADLINE_EXCEEDED, never CANCELLED, unary and stream", async () => {
    const port = sidecar.addresses.grpc?.port;
    for (const timeout of ["1m", "1n"]) {
      for (const method of ["ModelInfer", "ModelStreamInfer"] as const) {
        const answer = await rawGrpc(
          port,
          method,
          { "grpc-timeout": timeout },
          envelope(requestBytes({ model: "deadline", rows: 1 })),
        );
        expect(answer.status, `${method} ${timeout}`).toBe(grpc.status.DEADLINE_EXCEEDED);
      }
    }
  });

  it("refuses a message compression it does not support with UNIMPLEMENTED, naming those it does", async () => {
    const port = sidecar.addresses.grpc?.port;
    const message = requestBytes({ model: "mock", rows: 1 });
    for (const encoding of ["deflate", "zstd", "snappy"]) {
      for (const method of ["ModelInfer", "ModelStreamInfer"] as const) {
        const answer = await rawGrpc(
          port,
          method,
          { "grpc-encoding": encoding },
          envelope(message, true),
        );
        expect(answer, `${method} ${encoding}`).toMatchObject({
          status: grpc.status.UNIMPLEMENTED,
          message: `unknown compression "${encoding}": supported encodings are gzip,br`,
          acceptEncoding: "gzip,br",
        });
        record(`unsupported compression ${method}`, serverPath, {
          ok: false,
          code: errorCodeOfGrpc(answer.status ?? 0),
          message: (answer.message ?? "").replace(encoding, "<encoding>"),
        });
      }
    }
  });

  it("answers gzip and br messages, and a message that does not decompress or parse with INVALID_ARGUMENT, never INTERNAL", async () => {
    const port = sidecar.addresses.grpc?.port;
    const message = requestBytes({ model: "mock", rows: 1 });
    const gzip = gzipSync(message);
    const br = brotliCompressSync(message);
    for (const method of ["ModelInfer", "ModelStreamInfer"] as const) {
      for (const [encoding, compressed] of [
        ["gzip", gzip],
        ["br", br],
      ] as const) {
        const answered = await rawGrpc(
          port,
          method,
          { "grpc-encoding": encoding },
          envelope(compressed, true),
        );
        expect(answered.status, `${method} ${encoding}`).toBe(grpc.status.OK);
        expect(answered.bytes, `${method} ${encoding}`).toBeGreaterThan(0);
      }
      const malformed = [
        ["gzip", "truncated", gzip.subarray(0, gzip.byteLength - 6)],
        ["gzip", "not gzip", Buffer.from("not gzip at all")],
        ["br", "truncated", br.subarray(0, br.byteLength - 3)],
        ["br", "not br", Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 255))],
        ["gzip", "not protobuf", gzipSync(Buffer.from([0xff, 0xff, 0xff]))],
      ] as const;
      for (const [encoding, what, payload] of malformed) {
        const answer = await rawGrpc(
          port,
          method,
          { "grpc-encoding": encoding },
          envelope(payload, true),
        );
        expect(answer.status, `${method} ${encoding} ${what}`).toBe(grpc.status.INVALID_ARGUMENT);
        record(`${method}: ${encoding} ${what}`, serverPath, {
          ok: false,
          code: errorCodeOfGrpc(answer.status ?? 0),
          message: answer.message ?? "",
        });
      }
    }
    // Uncompressed, a message that is not protobuf takes the hot path where there is one.
    const answer = await rawGrpc(port, "ModelInfer", {}, envelope(Buffer.from([0xff, 0xff, 0xff])));
    expect(answer.status).toBe(grpc.status.INVALID_ARGUMENT);
    record("ModelInfer: not protobuf", serverPath, {
      ok: false,
      code: errorCodeOfGrpc(answer.status ?? 0),
      message: answer.message ?? "",
    });
  });

  describe.each(CALLERS)("%s", (kind) => {
    let caller: Caller;
    const where = `${serverPath} ← ${kind}`;
    beforeAll(() => {
      caller = makeCaller(kind, sidecar);
    });
    afterAll(() => caller?.close());

    it("answers ModelInfer with the model's outputs", async () => {
      const request = { model: "mock", rows: 3, seed: 1 };
      const outcome = await caller.infer(request);
      expect(outcome).toEqual({ ok: true, values: expected(request) });
    });

    it("answers each ModelStreamInfer request on its own; a bad one fails alone", async () => {
      const good = { model: "mock", rows: 1, seed: 2 };
      const bad = { model: "mock", rows: 1, datatype: "FP64" };
      const outcomes = await caller.stream([good, bad, { ...good, seed: 3 }]);
      expect(outcomes[0]).toEqual({ ok: true, values: expected(good) });
      expect(outcomes[2]).toEqual({ ok: true, values: expected({ ...good, seed: 3 }) });
      expect(outcomes[1]).toMatchObject({ ok: false, code: ErrorCode.InvalidArgument });
      record("stream: bad datatype", where, outcomes[1] as Outcome);
    });

    it("fails with the same codes and messages for a bad request", async () => {
      const unknown = await caller.infer({ model: "nope", rows: 1 });
      expect(unknown).toMatchObject({ ok: false, code: ErrorCode.NotFound });
      record("unary: unknown model", where, unknown);
      const badType = await caller.infer({ model: "mock", rows: 1, datatype: "FP64" });
      expect(badType).toMatchObject({ ok: false, code: ErrorCode.InvalidArgument });
      record("unary: bad datatype", where, badType);
    });

    it("refuses a request above max_request_bytes with RESOURCE_EXHAUSTED, unary and stream", async () => {
      const large = { model: "mock", rows: 100 };
      const unary = await caller.infer(large);
      expect(unary).toMatchObject({ ok: false, code: ErrorCode.ResourceExhausted });
      // Clients encode the same request in a few bytes more or less: the size may differ.
      record("unary: too large", where, {
        ...unary,
        ...(unary.ok ? {} : { message: unary.message.replace(/size \d+/, "size N") }),
      });
      const [streamed] = await caller.stream([large]);
      expect(streamed).toMatchObject({ ok: false, code: ErrorCode.ResourceExhausted });
    });

    it("ends a unary call at its deadline with DEADLINE_EXCEEDED", async () => {
      const outcome = await caller.infer({ model: "slow", rows: 1 }, { timeoutMs: 100 });
      expect(outcome).toMatchObject({ ok: false, code: ErrorCode.DeadlineExceeded });
    });

    it("cancels a queued call: CANCELLED for the caller, and the server drops it at once", async () => {
      const statistics = () => sidecar.models.statistics("slow")[0]?.statistics;
      const cancelledBefore = statistics()?.cancelledCount ?? 0;
      const dequeuedBefore = dequeued(sidecar, "slow");
      // Sent first on the same connection: it runs while the next one waits in the queue.
      const running = caller.infer({ model: "slow", rows: 1 });
      const controller = new AbortController();
      const queued = caller.infer({ model: "slow", rows: 1 }, { signal: controller.signal });
      await oneRunsOneQueued(sidecar, "slow", dequeuedBefore);
      controller.abort();
      const outcome = await queued;
      expect(outcome).toMatchObject({ ok: false, code: ErrorCode.Cancelled });
      await vi.waitUntil(() => (statistics()?.cancelledCount ?? 0) > cancelledBefore, {
        timeout: 1_000,
        interval: 5,
      });
      await running;
    });
  });
});

describe.each(SERVER_PATHS)("server on the %s with a bearer token", (serverPath, hotPath) => {
  let sidecar: Sidecar;
  /** A sidecar without a token: a refused call that failed over to it would be answered. */
  let open: Sidecar;
  beforeAll(async () => {
    [sidecar, open] = await Promise.all([startWith(hotPath, TOKEN), startWith(hotPath)]);
  });
  afterAll(() => Promise.all([sidecar?.close(), open?.close()]));

  it("refuses inference without the token, unary and stream, for every caller alike", async () => {
    for (const kind of CALLERS) {
      const caller = makeCaller(kind, sidecar);
      try {
        const unary = await caller.infer({ model: "mock", rows: 1 });
        // gRPC's UNAUTHENTICATED, which clients read as FAILED_PRECONDITION: no retry helps.
        expect(unary, kind).toMatchObject({ ok: false, code: ErrorCode.FailedPrecondition });
        record("auth: no token", `${serverPath} ← ${kind}`, unary);
        const [streamed] = await caller.stream([{ model: "mock", rows: 1 }]);
        expect(streamed, kind).toMatchObject({ ok: false, code: ErrorCode.FailedPrecondition });
      } finally {
        await caller.close();
      }
    }
  });

  it.each(OUR_CALLERS)(
    "%s with the token option: served, unary and stream; with a wrong one refused, not failed over",
    async (kind) => {
      const request = { model: "mock", rows: 2, seed: 5 };
      const served = makeCaller(kind, sidecar, TOKEN);
      try {
        expect(await served.infer(request)).toEqual({ ok: true, values: expected(request) });
        expect(await served.stream([request, { ...request, seed: 6 }])).toEqual([
          { ok: true, values: expected(request) },
          { ok: true, values: expected({ ...request, seed: 6 }) },
        ]);
      } finally {
        await served.close();
      }
      const refused = makeCaller(kind, sidecar, "not-the-token", open);
      const inferredBefore = inferences(open);
      try {
        const unary = await refused.infer(request);
        expect(unary).toMatchObject({ ok: false, code: ErrorCode.FailedPrecondition });
        record("auth: wrong token", `${serverPath} ← ${kind}`, unary);
        const [streamed] = await refused.stream([request]);
        expect(streamed).toMatchObject({ ok: false, code: ErrorCode.FailedPrecondition });
        record("auth: wrong token, stream", `${serverPath} ← ${kind}`, streamed as Outcome);
      } finally {
        await refused.close();
      }
      // UNAUTHENTICATED is the call's answer, not an outage: nothing went to the open sidecar.
      expect(inferences(open)).toBe(inferredBefore);
    },
  );

  it("serves inference with the token, unary and stream", async () => {
    const request = { model: "mock", rows: 2, seed: 4 };
    const grpcJs = grpcJsCaller(`127.0.0.1:${sidecar.addresses.grpc?.port}`, TOKEN);
    try {
      expect(await grpcJs.infer(request)).toEqual({ ok: true, values: expected(request) });
      expect(await grpcJs.stream([request])).toEqual([{ ok: true, values: expected(request) }]);
    } finally {
      await grpcJs.close();
    }
    const withToken: Interceptor = (next) => (call) => {
      call.header.set("authorization", `Bearer ${TOKEN}`);
      return next(call);
    };
    const connect = createClient(
      GRPCInferenceService,
      createGrpcTransport({
        baseUrl: `http://127.0.0.1:${sidecar.addresses.grpc?.port}`,
        interceptors: [withToken],
      }),
    );
    const response = await connect.modelInfer({
      modelName: "mock",
      inputs: [{ name: "x", datatype: "FP32", shape: [2n, BigInt(FEATURES)] }],
      rawInputContents: [bytes(features(request))],
    });
    expect(floats(response.rawOutputContents[0] as Uint8Array)).toEqual(expected(request));
  });
});

describe("every path", () => {
  it("gave the same code and server message for each failure", () => {
    expect(seen.size).toBeGreaterThan(0);
    for (const [behaviour, outcomes] of seen) {
      const [first] = outcomes;
      for (const { where, outcome } of outcomes) {
        expect(outcome, `${behaviour}: ${where} vs ${first?.where}`).toEqual(first?.outcome);
      }
    }
  });
});

// A seeded fuzz test of bad input against one real sidecar process (the bundled ONNX model on
// onnxruntime and the mock backend): malformed KServe v2 requests over REST and raw gRPC on
// HTTP/2, sent concurrently with valid ones, so that they share batches. Every answer must be a
// client error (or 503), never a server error; nothing may hang; every valid answer must equal,
// row by row, the reference answer taken at the start; afterwards every model still answers
// and the process is ready. FUZZ_SEED=<seed> replays a run (the seed is printed);
// FUZZ_RUNS and FUZZ_TIME_MS bound it (runs left when the time is up are skipped).
import { randomInt } from "node:crypto";
import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { deflateSync, gzipSync } from "node:zlib";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  buildBinaryExtensionBody,
  createEnvelopeReader,
  DATATYPES,
  decodeGrpcMessage,
  decodeTensorValues,
  encodeGrpcEnvelope,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  ModelStreamInferResponseSchema,
  parseBinaryExtensionBody,
  type Tensor,
  tensorsOfMessage,
} from "@gpu-sidecar/sidecar-core";
import {
  type SpawnedSidecar,
  type SpawnedSidecarAddresses,
  spawnSidecar,
} from "@gpu-sidecar/sidecar-server/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SEED =
  process.env.FUZZ_SEED === undefined ? randomInt(2 ** 31 - 1) : Number(process.env.FUZZ_SEED);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const TIME_BUDGET_MS = Number(process.env.FUZZ_TIME_MS ?? 20_000);
/** How long one request may take before it counts as hung: far above any answer under load. */
const HANG_MS = 15_000;
/** Small, so that bodies over the limit are cheap to send; 160 rows of JSON still fit. */
const MAX_REQUEST_BYTES = 256 * 1024;
const FEATURES = 16;
/** The bundled ONNX model and the mock backend's model; both take up to 64 rows per batch. */
const MODELS = ["fraud", "fraud-mock"] as const;
type Model = (typeof MODELS)[number];
const MAX_ROWS = 160;
const SERVICE = "/inference.GRPCInferenceService/";

/** gRPC codes a client's mistake must never get: they say the server failed. */
const SERVER_FAULT_CODES = new Set([2 /* UNKNOWN */, 13 /* INTERNAL */, 15 /* DATA_LOSS */]);
const INTERNAL = 13;

/**
 * A known gap, allowed here so that it stays counted and visible: Connect-ES (2.1) answers a
 * request message it cannot parse as protobuf with INTERNAL ("parse binary: …"; HTTP 500 in the
 * Connect protocol), before any interceptor or service code runs. The hot path (plain gRPC
 * ModelInfer and ModelStreamInfer) answers INVALID_ARGUMENT; the Connect and gRPC-Web
 * protocols, compressed gRPC calls and the other methods still go through Connect.
 */
function isConnectParseFailure(code: number | string | undefined, message: string): boolean {
  return (code === INTERNAL || code === "internal") && message.startsWith("parse binary:");
}
let connectParseFailures = 0;

/**
 * Eight distinct rows; a valid request is any sequence of them, so its answer is known row by
 * row from the reference answer of the eight taken at the start.
 */
const ROWS: readonly (readonly number[])[] = Array.from({ length: 8 }, (_, row) =>
  Array.from({ length: FEATURES }, (_, i) => Math.fround(Math.sin(row * FEATURES + i) * 3)),
);
/**
 * A row's score may differ in the last bits with the batch it ran in (onnxruntime may pick
 * another kernel for another batch size); a row mixed up with another differs by far more.
 */
const TOLERANCE = 1e-6;

// ---------------------------------------------------------------------------------------------
// What is sent: plain data, so that fast-check prints a failing case readably.

const VALID_VIAS = [
  "rest-json",
  "rest-binary",
  "rest-gzip",
  "grpc-raw",
  "grpc-typed",
  "grpc-gzip",
  "grpc-stream",
] as const;

interface ValidCall {
  readonly kind: "valid";
  readonly via: (typeof VALID_VIAS)[number];
  readonly model: Model;
  readonly rows: readonly number[];
}

/** A change that makes a tensor of `rows` rows invalid. */
type TensorMutation =
  | { readonly field: "name"; readonly name: string }
  | { readonly field: "datatype"; readonly datatype: string }
  | { readonly field: "shape"; readonly shape: readonly number[] }
  | { readonly field: "drop-values"; readonly count: number }
  | { readonly field: "extra-values"; readonly count: number }
  | { readonly field: "bad-value"; readonly at: number; readonly value: unknown }
  | { readonly field: "nesting"; readonly depth: number }
  | { readonly field: "not-an-array"; readonly value: unknown };

type RestCall =
  | { readonly kind: "rest"; readonly case: "not-json"; readonly text: string }
  | {
      readonly kind: "rest";
      readonly case: "truncated-json";
      readonly rows: number;
      readonly cut: number;
    }
  | { readonly kind: "rest"; readonly case: "json-value"; readonly value: unknown }
  | {
      readonly kind: "rest";
      readonly case: "tensor";
      readonly model: Model;
      readonly rows: number;
      readonly mutation: TensorMutation;
    }
  | {
      readonly kind: "rest";
      readonly case: "binary";
      readonly model: Model;
      readonly rows: number;
      readonly headerLength: number | string;
      readonly dataSize: number | string;
    }
  | { readonly kind: "rest"; readonly case: "model-name"; readonly name: string }
  | { readonly kind: "rest"; readonly case: "long-name"; readonly length: number }
  | { readonly kind: "rest"; readonly case: "version"; readonly version: string }
  | {
      readonly kind: "rest";
      readonly case: "bad-encoding";
      readonly encoding: string;
      readonly cut: number;
    }
  | { readonly kind: "rest"; readonly case: "gzip-bomb"; readonly inflatedBytes: number }
  | { readonly kind: "rest"; readonly case: "oversize"; readonly extra: number }
  | { readonly kind: "rest"; readonly case: "method"; readonly method: string }
  | {
      readonly kind: "rest";
      readonly case: "content-type";
      readonly contentType: string;
      readonly rows: readonly number[];
    };

/** A change that makes a ModelInferRequest of `rows` rows invalid. */
type MessageMutation =
  | { readonly field: "model-name"; readonly name: string }
  | { readonly field: "model-version"; readonly version: string }
  | { readonly field: "name"; readonly name: string }
  | { readonly field: "datatype"; readonly datatype: string }
  | { readonly field: "shape"; readonly shape: readonly bigint[] }
  | { readonly field: "raw-length"; readonly delta: number }
  | { readonly field: "raw-count"; readonly count: number }
  | { readonly field: "wrong-contents"; readonly kind: "int" | "bool" | "bytes" | "fp64" }
  | { readonly field: "raw-and-contents" };

type GrpcCall =
  | {
      readonly kind: "grpc";
      readonly case: "truncated";
      readonly rows: number;
      readonly cut: number;
    }
  | { readonly kind: "grpc"; readonly case: "declared-oversize"; readonly declared: number }
  | { readonly kind: "grpc"; readonly case: "oversize"; readonly extra: number }
  | { readonly kind: "grpc"; readonly case: "compressed-flag" }
  | {
      readonly kind: "grpc";
      readonly case: "encoding";
      readonly encoding: string;
      readonly compressedFlag: boolean;
      readonly rows: readonly number[];
    }
  | {
      readonly kind: "grpc";
      readonly case: "garbage";
      /** ModelInfer takes the hot path; compressed, or to another method, it goes to Connect. */
      readonly via: "ModelInfer" | "ModelInfer gzip" | "ModelMetadata";
      readonly bytes: Uint8Array;
    }
  | {
      readonly kind: "grpc";
      readonly case: "message";
      readonly model: Model;
      readonly rows: number;
      readonly mutation: MessageMutation;
    }
  | {
      readonly kind: "grpc";
      readonly case: "timeout";
      readonly timeout: string;
      readonly rows: readonly number[];
    }
  | { readonly kind: "grpc"; readonly case: "method"; readonly path: string }
  | { readonly kind: "grpc"; readonly case: "two-messages" }
  | {
      readonly kind: "grpc";
      readonly case: "content-type";
      readonly contentType: string;
      readonly rows: readonly number[];
    }
  | {
      readonly kind: "grpc";
      readonly case: "stream";
      readonly model: Model;
      readonly parts: readonly (
        | { readonly rows: readonly number[] }
        | { readonly mutation: MessageMutation }
      )[];
    };

type Call = ValidCall | RestCall | GrpcCall;

// ---------------------------------------------------------------------------------------------
// The arbitraries.

const model = fc.constantFrom(...MODELS);
/**
 * Row counts: a few, around `max_batch_size` (64: where requests are split across batches),
 * and beyond. Chosen outright, as fast-check's arrays would otherwise stay short.
 */
const rowCount = fc.oneof(
  fc.integer({ min: 1, max: 8 }),
  fc.integer({ min: 60, max: 70 }),
  fc.integer({ min: 71, max: MAX_ROWS }),
);
const rowPicks = rowCount.chain((count) =>
  fc.array(fc.nat({ max: ROWS.length - 1 }), { minLength: count, maxLength: count }),
);

const validCall: fc.Arbitrary<ValidCall> = fc.record({
  kind: fc.constant("valid" as const),
  via: fc.constantFrom(...VALID_VIAS),
  model,
  rows: rowPicks,
});

/** JSON values no tensor accepts as an FP32 element. */
const notANumber = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, {}, [], "x", "1", "nan", ""),
  fc.string().filter((text) => !["NaN", "Infinity", "-Infinity"].includes(text)),
);

const tensorMutation: fc.Arbitrary<TensorMutation> = fc.oneof(
  fc.record({
    field: fc.constant("name" as const),
    name: fc.string({ maxLength: 40 }).filter((name) => name !== "features"),
  }),
  fc.record({
    field: fc.constant("datatype" as const),
    datatype: fc.oneof(
      fc.constantFrom(...DATATYPES.filter((datatype) => datatype !== "FP32")),
      fc.string({ maxLength: 12 }).filter((datatype) => datatype !== "FP32"),
    ),
  }),
  fc.record({
    field: fc.constant("shape" as const),
    shape: fc.oneof(
      fc.array(fc.integer({ min: -3, max: 200 }), { maxLength: 4 }),
      fc.array(fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 53), fc.constant(-1)), {
        maxLength: 3,
      }),
      fc.integer({ min: 3, max: 20_000 }).map((dims) => new Array<number>(dims).fill(1)),
    ),
  }),
  fc.record({ field: fc.constant("drop-values" as const), count: fc.integer({ min: 1, max: 20 }) }),
  fc.record({
    field: fc.constant("extra-values" as const),
    count: fc.integer({ min: 1, max: 20 }),
  }),
  fc.record({ field: fc.constant("bad-value" as const), at: fc.nat(), value: notANumber }),
  fc.record({ field: fc.constant("nesting" as const), depth: fc.integer({ min: 3, max: 20_000 }) }),
  fc.record({
    field: fc.constant("not-an-array" as const),
    value: fc.oneof(
      fc.constantFrom<unknown>(null, 1, "data", {}),
      fc.dictionary(fc.string(), fc.nat()),
    ),
  }),
);

const restCall: fc.Arbitrary<RestCall> = fc.oneof(
  fc.record({
    kind: fc.constant("rest" as const),
    case: fc.constant("not-json" as const),
    text: fc.string({ maxLength: 200 }),
  }),
  fc.record({
    kind: fc.constant("rest" as const),
    case: fc.constant("truncated-json" as const),
    rows: rowCount,
    cut: fc.nat(),
  }),
  fc.record({
    kind: fc.constant("rest" as const),
    case: fc.constant("json-value" as const),
    value: fc.jsonValue({ maxDepth: 4 }),
  }),
  fc.record({
    kind: fc.constant("rest" as const),
    case: fc.constant("tensor" as const),
    model,
    rows: rowCount,
    mutation: tensorMutation,
  }),
  fc
    .record({
      kind: fc.constant("rest" as const),
      case: fc.constant("binary" as const),
      model,
      rows: rowCount,
      headerLength: fc.oneof(
        fc.integer({ min: -40, max: 40 }),
        fc.constantFrom("", "abc", "-1", "1e3", "0x10", " ", "99999999999999999999"),
      ),
      dataSize: fc.oneof(
        fc.integer({ min: -70, max: 70 }),
        fc.constantFrom("64", "-64", "", "1.5"),
      ),
    })
    // Offsets from the right values: at least one of them is wrong.
    .filter((call) => call.headerLength !== 0 || call.dataSize !== 0),
  fc.record({
    kind: fc.constant("rest" as const),
    case: fc.constant("model-name" as const),
    name: fc
      .oneof(
        fc.constantFrom(
          "../fraud",
          "..",
          ".",
          "fraud/../fraud-mock",
          "/etc/passwd",
          "fraud\0",
          "FRAUD",
          " fraud",
          "fraud.",
          "%2e%2e",
        ),
        fc.string({ maxLength: 300 }),
      )
      .filter((name) => !(MODELS as readonly string[]).includes(name)),
  }),
  fc.record({
    kind: fc.constant("rest" as const),
    case: fc.constant("long-name" as const),
    length: fc.integer({ min: 256, max: 100_000 }),
  }),
  fc.record({
    kind: fc.constant("rest" as const),
    case: fc.constant("version" as const),
    version: fc.constantFrom("0", "-1", "abc", "1.0", "99", "01", "latest2", "1/../1"),
  }),
  fc.record({
    kind: fc.constant("rest" as const),
    case: fc.constant("bad-encoding" as const),
    encoding: fc.constantFrom("gzip", "deflate", "br", "compress", "gzip, gzip", "x-gzip"),
    cut: fc.nat(),
  }),
  fc.record({
    kind: fc.constant("rest" as const),
    case: fc.constant("gzip-bomb" as const),
    inflatedBytes: fc.integer({ min: MAX_REQUEST_BYTES + 1, max: 16 * MAX_REQUEST_BYTES }),
  }),
  fc.record({
    kind: fc.constant("rest" as const),
    case: fc.constant("oversize" as const),
    extra: fc.nat(4096),
  }),
  fc.record({
    kind: fc.constant("rest" as const),
    case: fc.constant("method" as const),
    method: fc.constantFrom("GET", "PUT", "DELETE", "PATCH"),
  }),
  fc.record({
    kind: fc.constant("rest" as const),
    case: fc.constant("content-type" as const),
    contentType: fc.constantFrom(
      "text/plain",
      "application/xml",
      "application/grpc",
      "multipart/form-data; boundary=x",
      "application/json; charset=latin1",
      "garbage",
    ),
    rows: rowPicks,
  }),
);

const messageMutation: fc.Arbitrary<MessageMutation> = fc.oneof(
  fc.record({
    field: fc.constant("model-name" as const),
    name: fc
      .oneof(
        fc.constantFrom("", "../fraud", "/etc/passwd", "fraud/1", "FRAUD"),
        fc.integer({ min: 256, max: 70_000 }).map((length) => "m".repeat(length)),
        fc.string({ maxLength: 100 }),
      )
      .filter((name) => !(MODELS as readonly string[]).includes(name)),
  }),
  fc.record({
    field: fc.constant("model-version" as const),
    version: fc.constantFrom("0", "-1", "abc", "99", "1.0", "../1"),
  }),
  fc.record({
    field: fc.constant("name" as const),
    name: fc
      .oneof(
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 256, max: 70_000 }).map((length) => "n".repeat(length)),
      )
      .filter((name) => name !== "features"),
  }),
  fc.record({
    field: fc.constant("datatype" as const),
    datatype: fc.oneof(
      fc.constantFrom(...DATATYPES.filter((datatype) => datatype !== "FP32")),
      fc.string({ maxLength: 12 }).filter((datatype) => datatype !== "FP32"),
    ),
  }),
  fc.record({
    field: fc.constant("shape" as const),
    shape: fc.oneof(
      fc.array(fc.bigInt({ min: -3n, max: 200n }), { maxLength: 4 }),
      fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 3 }),
      fc.integer({ min: 3, max: 20_000 }).map((dims) => new Array<bigint>(dims).fill(1n)),
    ),
  }),
  fc.record({
    field: fc.constant("raw-length" as const),
    delta: fc.integer({ min: -64, max: 64 }).filter((delta) => delta !== 0),
  }),
  fc.record({ field: fc.constant("raw-count" as const), count: fc.constantFrom(2, 3) }),
  fc.record({
    field: fc.constant("wrong-contents" as const),
    kind: fc.constantFrom("int" as const, "bool" as const, "bytes" as const, "fp64" as const),
  }),
  fc.record({ field: fc.constant("raw-and-contents" as const) }),
);

const grpcCall: fc.Arbitrary<GrpcCall> = fc.oneof(
  fc.record({
    kind: fc.constant("grpc" as const),
    case: fc.constant("truncated" as const),
    rows: rowCount,
    cut: fc.nat(),
  }),
  fc.record({
    kind: fc.constant("grpc" as const),
    case: fc.constant("declared-oversize" as const),
    declared: fc.integer({ min: MAX_REQUEST_BYTES + 1, max: 2 ** 32 - 1 }),
  }),
  fc.record({
    kind: fc.constant("grpc" as const),
    case: fc.constant("oversize" as const),
    extra: fc.nat(4096),
  }),
  fc.record({ kind: fc.constant("grpc" as const), case: fc.constant("compressed-flag" as const) }),
  fc.record({
    kind: fc.constant("grpc" as const),
    case: fc.constant("encoding" as const),
    encoding: fc.constantFrom("gzip", "deflate", "br", "snappy", "zstd", "identity", "GZIP"),
    compressedFlag: fc.boolean(),
    rows: rowPicks,
  }),
  fc.record({
    kind: fc.constant("grpc" as const),
    case: fc.constant("garbage" as const),
    via: fc.constantFrom(
      "ModelInfer" as const,
      "ModelInfer gzip" as const,
      "ModelMetadata" as const,
    ),
    bytes: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    kind: fc.constant("grpc" as const),
    case: fc.constant("message" as const),
    model,
    rows: rowCount,
    mutation: messageMutation,
  }),
  fc.record({
    kind: fc.constant("grpc" as const),
    case: fc.constant("timeout" as const),
    timeout: fc.oneof(
      fc.constantFrom(
        "abc",
        "",
        "1",
        "1X",
        "-1m",
        "999999999H",
        "1.5S",
        "1n",
        "1u",
        "1m",
        "0S",
        "S",
      ),
      fc.stringMatching(/^[0-9A-Za-z.-]{0,10}$/),
    ),
    rows: rowPicks,
  }),
  fc.record({
    kind: fc.constant("grpc" as const),
    case: fc.constant("method" as const),
    path: fc
      .oneof(
        fc.stringMatching(/^[A-Za-z]{1,20}$/).map((method) => `${SERVICE}${method}`),
        fc.stringMatching(/^\/[A-Za-z0-9._/-]{0,60}$/),
      )
      .filter(
        (path) =>
          !/^\/(inference\.GRPCInferenceService|grpc\.health\.v1\.Health)\/[A-Z]/.test(path),
      ),
  }),
  fc.record({ kind: fc.constant("grpc" as const), case: fc.constant("two-messages" as const) }),
  fc.record({
    kind: fc.constant("grpc" as const),
    case: fc.constant("content-type" as const),
    contentType: fc.constantFrom(
      "application/json",
      "application/grpc+json",
      "text/plain",
      "application/grpc+thrift",
      "application/proto",
    ),
    rows: rowPicks,
  }),
  fc.record({
    kind: fc.constant("grpc" as const),
    case: fc.constant("stream" as const),
    model,
    parts: fc.array(
      fc.oneof(
        fc.record({
          rows: rowPicks,
        }),
        fc.record({ mutation: messageMutation }),
      ),
      { minLength: 1, maxLength: 6 },
    ),
  }),
);

/** One run: calls sent all at once, valid ones about a third of them. */
const runOfCalls = fc.array(
  fc.oneof(
    { arbitrary: validCall, weight: 2 },
    { arbitrary: restCall, weight: 2 },
    { arbitrary: grpcCall, weight: 2 },
  ),
  {
    minLength: 1,
    maxLength: 24,
  },
);

// ---------------------------------------------------------------------------------------------
// Building and sending requests.

let sidecar: SpawnedSidecar;
let addresses: SpawnedSidecarAddresses;
let session: ClientHttp2Session;
/** What happened to the gRPC connection: a malformed call must never close it. */
const sessionTrouble: string[] = [];
const reference = new Map<Model, readonly number[]>();

function valuesOf(rows: readonly number[]): number[] {
  return rows.flatMap((row) => ROWS[row] ?? []);
}

/** `count` rows cycling through the eight. */
function firstRows(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i % ROWS.length);
}

function rawOf(rows: readonly number[]): Uint8Array {
  return new Uint8Array(new Float32Array(valuesOf(rows)).buffer);
}

function restTensor(rows: readonly number[]): Record<string, unknown> {
  return {
    name: "features",
    datatype: "FP32",
    shape: [rows.length, FEATURES],
    data: valuesOf(rows),
  };
}

function restJson(rows: readonly number[]): string {
  return JSON.stringify({ inputs: [restTensor(rows)] });
}

/** A ModelInferRequest as plain fields (protobuf-es `create` takes it). */
interface InferRequestInit {
  readonly modelName: string;
  readonly modelVersion?: string;
  readonly id?: string;
  readonly inputs: readonly {
    readonly name: string;
    readonly datatype: string;
    readonly shape: readonly bigint[];
    readonly contents?: Readonly<Record<string, readonly unknown[]>>;
  }[];
  readonly rawInputContents?: readonly Uint8Array[];
}

function messageInit(model: Model, rows: readonly number[]): InferRequestInit {
  return {
    modelName: model,
    inputs: [
      { name: "features", datatype: "FP32", shape: [BigInt(rows.length), BigInt(FEATURES)] },
    ],
    rawInputContents: [rawOf(rows)],
  };
}

function messageBytes(init: InferRequestInit): Uint8Array {
  return toBinary(
    ModelInferRequestSchema,
    create(ModelInferRequestSchema, init as MessageInitShape<typeof ModelInferRequestSchema>),
  );
}

function envelope(init: InferRequestInit): Uint8Array {
  return encodeGrpcEnvelope(messageBytes(init));
}

function gzipEnvelope(message: Uint8Array): Uint8Array {
  const framed = encodeGrpcEnvelope(gzipSync(message));
  framed[0] = 1;
  return framed;
}

/** What an answer must be: a valid one for these rows, a refusal, or either of the two. */
type Expectation =
  | { readonly answer: "valid"; readonly model: Model; readonly rows: readonly number[] }
  | { readonly answer: "refused" }
  | { readonly answer: "either"; readonly model: Model; readonly rows: readonly number[] };

const REFUSED: Expectation = { answer: "refused" };

function scoresDiffer(
  model: Model,
  rows: readonly number[],
  scores: ArrayLike<number>,
): string | undefined {
  const expected = reference.get(model) ?? [];
  if (scores.length !== rows.length) return `${scores.length} scores for ${rows.length} rows`;
  for (let i = 0; i < rows.length; i++) {
    const want = expected[rows[i] ?? -1] ?? Number.NaN;
    const got = scores[i] ?? Number.NaN;
    if (!(Math.abs(got - want) <= TOLERANCE))
      return `row ${i} (reference row ${rows[i]}) scored ${got}, expected ${want}`;
  }
  return undefined;
}

function scoresOfTensor(tensor: Tensor | undefined, rows: number): ArrayLike<number> {
  if (tensor === undefined) throw new Error("the answer has no output tensor");
  expect(tensor.name).toBe("fraud_score");
  expect(tensor.datatype).toBe("FP32");
  expect(tensor.shape).toEqual([rows, 1]);
  return decodeTensorValues({ ...tensor, datatype: "FP32" });
}

interface RestRequest {
  readonly path: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
}

interface RestAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

async function sendRest(request: RestRequest): Promise<RestAnswer> {
  let response: Response;
  try {
    response = await fetch(`${addresses.httpUrl}${request.path}`, {
      method: request.method ?? "POST",
      headers: { "content-type": "application/json", ...request.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: AbortSignal.timeout(HANG_MS),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: new Uint8Array(await response.arrayBuffer()),
    };
  } catch (error) {
    const reason =
      error instanceof Error && error.name === "TimeoutError"
        ? `no answer within ${HANG_MS} ms (a hang)`
        : String(error);
    throw new Error(`REST ${request.method ?? "POST"} ${request.path.slice(0, 200)}: ${reason}`);
  }
}

function inferPath(model: string): string {
  return `/v2/models/${encodeURIComponent(model)}/infer`;
}

function restScores(answer: RestAnswer, rows: number): ArrayLike<number> {
  const headerLength = answer.headers.get("inference-header-content-length");
  if (headerLength !== null) {
    const parsed = parseBinaryExtensionBody(answer.body, Number(headerLength));
    const output = (parsed.header.outputs as { shape: number[] }[] | undefined)?.[0];
    expect(output?.shape).toEqual([rows, 1]);
    const data = parsed.outputData[0];
    if (data === undefined) throw new Error("the binary answer has no output data");
    return scoresOfTensor(
      { name: "fraud_score", datatype: "FP32", shape: output?.shape ?? [], data },
      rows,
    );
  }
  const json = JSON.parse(new TextDecoder().decode(answer.body)) as {
    outputs?: { name: string; datatype: string; shape: number[]; data: number[] }[];
  };
  const output = json.outputs?.[0];
  expect(output?.name).toBe("fraud_score");
  expect(output?.shape).toEqual([rows, 1]);
  return output?.data ?? [];
}

function checkRest(answer: RestAnswer, expectation: Expectation): void {
  const { status } = answer;
  const whole = () => new TextDecoder().decode(answer.body);
  const text = () => whole().slice(0, 300);
  if (status >= 500 && status !== 503) throw new Error(`HTTP ${status}: ${text()}`);
  if (status === 200) {
    if (expectation.answer === "refused")
      throw new Error(`answered 200, expected a refusal: ${text()}`);
    const differs = scoresDiffer(
      expectation.model,
      expectation.rows,
      restScores(answer, expectation.rows.length),
    );
    if (differs !== undefined) throw new Error(`wrong answer: ${differs}`);
    return;
  }
  if (expectation.answer === "valid")
    throw new Error(`HTTP ${status}, expected an answer: ${text()}`);
  if (status < 400) throw new Error(`HTTP ${status}, expected a refusal`);
  // Node's HTTP parser answers an oversized header (431) itself, with no body.
  if (status !== 431 && status !== 503) {
    let message: unknown;
    try {
      message = (JSON.parse(whole()) as { error?: unknown }).error;
    } catch {
      message = undefined;
    }
    if (typeof message !== "string" || message === "") {
      throw new Error(`HTTP ${status} without a JSON error message: ${text()}`);
    }
  }
}

interface GrpcAnswer {
  readonly httpStatus: number;
  readonly grpcStatus: number | undefined;
  readonly message: string;
  readonly body: Uint8Array;
  readonly rstCode: number;
}

function sendGrpc(
  path: string,
  body: Uint8Array,
  headers: Readonly<Record<string, string>> = {},
): Promise<GrpcAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    let head: IncomingHttpHeaders | undefined;
    let trailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`gRPC ${path.slice(0, 200)}: no answer within ${HANG_MS} ms (a hang)`));
    }, HANG_MS);
    stream.on("response", (received) => {
      head = received;
    });
    stream.on("trailers", (received) => {
      trailers = received;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    // A reset shows in `rstCode` on close; the answer may have been complete before it.
    stream.on("error", () => {});
    stream.on("close", () => {
      clearTimeout(timer);
      const status = trailers?.["grpc-status"] ?? head?.["grpc-status"];
      const message = trailers?.["grpc-message"] ?? head?.["grpc-message"];
      resolve({
        httpStatus: Number(head?.[":status"] ?? 0),
        grpcStatus: status === undefined ? undefined : Number(status),
        message: typeof message === "string" ? decodeGrpcMessage(message) : "",
        body: Buffer.concat(chunks),
        rstCode: stream.rstCode ?? 0,
      });
    });
    stream.end(body);
  });
}

function messagesOf(answer: GrpcAnswer): Uint8Array[] {
  const messages = createEnvelopeReader().push(answer.body);
  if (!Array.isArray(messages))
    throw new Error(`the answer's messages do not parse: ${messages.message}`);
  return messages;
}

function grpcScores(message: Uint8Array, rows: number): ArrayLike<number> {
  const response = fromBinary(ModelInferResponseSchema, message);
  const [tensor] = tensorsOfMessage(
    response.outputs,
    response.rawOutputContents,
    "raw_output_contents",
  );
  return scoresOfTensor(tensor, rows);
}

/** The code and message of a Connect protocol error body (JSON), if it is one. */
function connectProtocolError(body: Uint8Array): { code?: unknown; message?: string } | undefined {
  try {
    return JSON.parse(new TextDecoder().decode(body)) as { code?: unknown; message?: string };
  } catch {
    return undefined;
  }
}

/**
 * Checks a unary gRPC answer. `allowInternal`: a compressed message without `grpc-encoding`
 * is answered INTERNAL, as grpc-go, grpc-java and Connect answer it.
 */
function checkGrpc(answer: GrpcAnswer, expectation: Expectation, allowInternal = false): void {
  const { httpStatus, grpcStatus, message } = answer;
  if (httpStatus !== 200) {
    // Not gRPC at all (a content type the server does not speak): an HTTP client error.
    if ((httpStatus >= 400 && httpStatus < 500) || httpStatus === 503) {
      if (expectation.answer === "valid") throw new Error(`HTTP ${httpStatus}, expected an answer`);
      return;
    }
    const error = connectProtocolError(answer.body);
    const code = typeof error?.code === "string" ? error.code : undefined;
    if (httpStatus === 500 && isConnectParseFailure(code, error?.message ?? "")) {
      connectParseFailures++;
      return;
    }
    throw new Error(`HTTP ${httpStatus} (stream reset with ${answer.rstCode})`);
  }
  if (grpcStatus === undefined)
    throw new Error(`no grpc-status (stream reset with ${answer.rstCode})`);
  if (grpcStatus === 0) {
    if (expectation.answer === "refused") throw new Error(`answered OK, expected a refusal`);
    const [first] = messagesOf(answer);
    if (first === undefined) throw new Error(`OK without a message`);
    const differs = scoresDiffer(
      expectation.model,
      expectation.rows,
      grpcScores(first, expectation.rows.length),
    );
    if (differs !== undefined) throw new Error(`wrong answer: ${differs}`);
    return;
  }
  if (expectation.answer === "valid")
    throw new Error(`gRPC status ${grpcStatus} (${message}), expected an answer`);
  if (isConnectParseFailure(grpcStatus, message)) {
    connectParseFailures++;
    return;
  }
  if (SERVER_FAULT_CODES.has(grpcStatus) && !(allowInternal && grpcStatus === INTERNAL)) {
    throw new Error(`gRPC status ${grpcStatus} (${message}) for a client's mistake`);
  }
  if (message === "") throw new Error(`gRPC status ${grpcStatus} without a message`);
}

// ---------------------------------------------------------------------------------------------
// Each call: the request it makes and what its answer must be.

function mutatedRestTensor(
  rows: number,
  mutation: TensorMutation,
): { body: string; refused: boolean } {
  const picked = firstRows(rows);
  const tensor = restTensor(picked);
  const values = valuesOf(picked);
  switch (mutation.field) {
    case "name":
      return {
        body: JSON.stringify({ inputs: [{ ...tensor, name: mutation.name }] }),
        refused: true,
      };
    case "datatype":
      return {
        body: JSON.stringify({ inputs: [{ ...tensor, datatype: mutation.datatype }] }),
        refused: true,
      };
    case "shape":
      return {
        body: JSON.stringify({ inputs: [{ ...tensor, shape: mutation.shape }] }),
        refused: JSON.stringify(mutation.shape) !== JSON.stringify([rows, FEATURES]),
      };
    case "drop-values":
      return {
        body: JSON.stringify({ inputs: [{ ...tensor, data: values.slice(mutation.count) }] }),
        refused: true,
      };
    case "extra-values":
      return {
        body: JSON.stringify({
          inputs: [{ ...tensor, data: [...values, ...values.slice(0, mutation.count)] }],
        }),
        refused: true,
      };
    case "bad-value": {
      const data: unknown[] = [...values];
      data[mutation.at % data.length] = mutation.value;
      return { body: JSON.stringify({ inputs: [{ ...tensor, data }] }), refused: true };
    }
    case "nesting": {
      // Written out, as JSON.stringify of so deep an array would itself overflow the stack.
      const nested = `${"[".repeat(mutation.depth)}${JSON.stringify(values)}${"]".repeat(mutation.depth)}`;
      return {
        body: JSON.stringify({ inputs: [{ ...tensor, data: "DATA" }] }).replace('"DATA"', nested),
        refused: true,
      };
    }
    case "not-an-array":
      return {
        body: JSON.stringify({ inputs: [{ ...tensor, data: mutation.value }] }),
        refused: true,
      };
  }
}

function restRequestOf(call: RestCall): { request: RestRequest; expectation: Expectation } {
  const refused = (request: RestRequest) => ({ request, expectation: REFUSED });
  const validBody = restJson(firstRows(3));
  switch (call.case) {
    case "not-json":
      return refused({ path: inferPath("fraud"), body: call.text });
    case "truncated-json": {
      const body = restJson(firstRows(call.rows));
      return refused({
        path: inferPath(MODELS[call.cut % 2] ?? "fraud"),
        body: body.slice(0, call.cut % body.length),
      });
    }
    case "json-value":
      return refused({ path: inferPath("fraud-mock"), body: JSON.stringify(call.value) });
    case "tensor": {
      const { body, refused: isRefused } = mutatedRestTensor(call.rows, call.mutation);
      const expectation: Expectation = isRefused
        ? REFUSED
        : { answer: "either", model: call.model, rows: firstRows(call.rows) };
      return { request: { path: inferPath(call.model), body }, expectation };
    }
    case "binary": {
      const rows = firstRows(call.rows);
      const raw = rawOf(rows);
      const size =
        typeof call.dataSize === "number" ? raw.byteLength + call.dataSize : call.dataSize;
      const json = JSON.stringify({
        inputs: [
          {
            name: "features",
            datatype: "FP32",
            shape: [rows.length, FEATURES],
            parameters: { binary_data_size: size },
          },
        ],
      });
      const jsonBytes = new TextEncoder().encode(json);
      const body = new Uint8Array(jsonBytes.byteLength + raw.byteLength);
      body.set(jsonBytes);
      body.set(raw, jsonBytes.byteLength);
      const headerLength =
        typeof call.headerLength === "number"
          ? String(jsonBytes.byteLength + call.headerLength)
          : call.headerLength;
      // A size given as the string of the right number may be read as that number.
      const maybeRight = call.headerLength === 0 && call.dataSize === String(raw.byteLength);
      return {
        request: {
          path: inferPath(call.model),
          headers: {
            "content-type": "application/octet-stream",
            "inference-header-content-length": headerLength,
          },
          body,
        },
        expectation: maybeRight ? { answer: "either", model: call.model, rows } : REFUSED,
      };
    }
    case "model-name":
      return refused({ path: inferPath(call.name), body: validBody });
    case "long-name":
      return refused({ path: inferPath("a".repeat(call.length)), body: validBody });
    case "version":
      return refused({
        path: `/v2/models/fraud/versions/${encodeURIComponent(call.version)}/infer`,
        body: validBody,
      });
    case "bad-encoding": {
      const json = new TextEncoder().encode(validBody);
      const compressed =
        call.encoding === "deflate"
          ? deflateSync(json)
          : call.encoding.includes("gzip")
            ? gzipSync(json)
            : json;
      // Gzip and deflate bodies cut short; other encodings are not supported at all.
      const body =
        compressed === json ? json : compressed.subarray(0, call.cut % compressed.byteLength);
      return refused({
        path: inferPath("fraud"),
        headers: { "content-encoding": call.encoding },
        body,
      });
    }
    case "gzip-bomb":
      return refused({
        path: inferPath("fraud"),
        headers: { "content-encoding": "gzip" },
        body: gzipSync(new Uint8Array(call.inflatedBytes)),
      });
    case "oversize":
      return refused({
        path: inferPath("fraud-mock"),
        body: validBody.padEnd(MAX_REQUEST_BYTES + 1 + call.extra, " "),
      });
    case "method":
      return refused({ path: inferPath("fraud"), method: call.method });
    case "content-type":
      return {
        request: {
          path: inferPath("fraud"),
          headers: { "content-type": call.contentType },
          body: restJson(call.rows),
        },
        expectation: { answer: "either", model: "fraud", rows: call.rows },
      };
  }
}

function mutatedMessage(
  model: Model,
  rows: number,
  mutation: MessageMutation,
): { init: InferRequestInit; refused: boolean } {
  const picked = firstRows(rows);
  const init = messageInit(model, picked);
  const input = { name: "features", datatype: "FP32", shape: [BigInt(rows), BigInt(FEATURES)] };
  const raw = rawOf(picked);
  const values = valuesOf(picked);
  switch (mutation.field) {
    case "model-name":
      return { init: { ...init, modelName: mutation.name }, refused: true };
    case "model-version":
      return { init: { ...init, modelVersion: mutation.version }, refused: true };
    case "name":
      return { init: { ...init, inputs: [{ ...input, name: mutation.name }] }, refused: true };
    case "datatype":
      return {
        init: { ...init, inputs: [{ ...input, datatype: mutation.datatype }] },
        refused: true,
      };
    case "shape":
      return {
        init: { ...init, inputs: [{ ...input, shape: [...mutation.shape] }] },
        refused: mutation.shape.join() !== `${rows},${FEATURES}`,
      };
    case "raw-length": {
      const resized = new Uint8Array(Math.max(0, raw.byteLength + mutation.delta));
      resized.set(raw.subarray(0, resized.byteLength));
      return { init: { ...init, rawInputContents: [resized] }, refused: true };
    }
    case "raw-count":
      return {
        init: { ...init, rawInputContents: new Array<Uint8Array>(mutation.count).fill(raw) },
        refused: true,
      };
    case "wrong-contents": {
      const contents =
        mutation.kind === "int"
          ? { intContents: values.map(Math.round) }
          : mutation.kind === "bool"
            ? { boolContents: values.map((value) => value > 0) }
            : mutation.kind === "bytes"
              ? { bytesContents: values.map((value) => new TextEncoder().encode(String(value))) }
              : { fp64Contents: values };
      return { init: { modelName: model, inputs: [{ ...input, contents }] }, refused: true };
    }
    case "raw-and-contents":
      return {
        init: { ...init, inputs: [{ ...input, contents: { fp32Contents: values } }] },
        refused: true,
      };
  }
}

const TIMEOUT_SYNTAX = /^\d{1,8}[HMSmun]$/;

function grpcRequestOf(call: Exclude<GrpcCall, { case: "stream" }>): {
  path: string;
  headers?: Record<string, string>;
  body: Uint8Array;
  expectation: Expectation;
  allowInternal?: boolean;
} {
  const modelInfer = `${SERVICE}ModelInfer`;
  const valid = () => envelope(messageInit("fraud", firstRows(3)));
  switch (call.case) {
    case "truncated": {
      const whole = envelope(messageInit("fraud-mock", firstRows(call.rows)));
      return {
        path: modelInfer,
        body: whole.subarray(0, call.cut % whole.byteLength),
        expectation: REFUSED,
      };
    }
    case "declared-oversize": {
      const body = valid();
      new DataView(body.buffer, body.byteOffset).setUint32(1, call.declared);
      return { path: modelInfer, body, expectation: REFUSED };
    }
    case "oversize": {
      const init = {
        ...messageInit("fraud", firstRows(1)),
        rawInputContents: [new Uint8Array(MAX_REQUEST_BYTES + 1 + call.extra)],
      };
      return { path: modelInfer, body: envelope(init), expectation: REFUSED };
    }
    case "compressed-flag": {
      const body = valid();
      body[0] = 1;
      return { path: modelInfer, body, expectation: REFUSED, allowInternal: true };
    }
    case "encoding": {
      const message = messageBytes(messageInit("fraud", call.rows));
      const body = call.compressedFlag ? gzipEnvelope(message) : encodeGrpcEnvelope(message);
      const answered: Expectation = { answer: "valid", model: "fraud", rows: call.rows };
      const either: Expectation = { answer: "either", model: "fraud", rows: call.rows };
      const expectation =
        call.encoding === "gzip"
          ? answered
          : call.encoding === "identity"
            ? call.compressedFlag
              ? REFUSED
              : answered
            : call.compressedFlag
              ? REFUSED
              : either;
      return {
        path: modelInfer,
        headers: { "grpc-encoding": call.encoding },
        body,
        expectation,
        allowInternal: call.encoding === "identity",
      };
    }
    case "garbage":
      return call.via === "ModelInfer gzip"
        ? {
            path: modelInfer,
            headers: { "grpc-encoding": "gzip" },
            body: gzipEnvelope(call.bytes),
            expectation: REFUSED,
          }
        : {
            path: `${SERVICE}${call.via}`,
            body: encodeGrpcEnvelope(call.bytes),
            expectation: REFUSED,
          };
    case "message": {
      const { init, refused } = mutatedMessage(call.model, call.rows, call.mutation);
      const expectation: Expectation = refused
        ? REFUSED
        : { answer: "either", model: call.model, rows: firstRows(call.rows) };
      return { path: modelInfer, body: envelope(init), expectation };
    }
    case "timeout":
      return {
        path: modelInfer,
        headers: { "grpc-timeout": call.timeout },
        body: envelope(messageInit("fraud-mock", call.rows)),
        // A well-formed timeout may be too short for an answer: DEADLINE_EXCEEDED (or CANCELLED).
        expectation: TIMEOUT_SYNTAX.test(call.timeout)
          ? { answer: "either", model: "fraud-mock", rows: call.rows }
          : REFUSED,
      };
    case "method":
      return { path: call.path, body: valid(), expectation: REFUSED };
    case "two-messages": {
      const one = valid();
      const body = new Uint8Array(one.byteLength * 2);
      body.set(one);
      body.set(one, one.byteLength);
      return { path: modelInfer, body, expectation: REFUSED };
    }
    case "content-type":
      return {
        path: modelInfer,
        headers: { "content-type": call.contentType },
        body: envelope(messageInit("fraud", call.rows)),
        expectation: { answer: "either", model: "fraud", rows: call.rows },
      };
  }
}

/** A streamed request's answer: one response per request, by id; failed ones say why. */
async function performStream(
  model: Model,
  parts: readonly ({ readonly rows: readonly number[] } | { readonly mutation: MessageMutation })[],
): Promise<void> {
  const expected = parts.map((part) =>
    "rows" in part
      ? { init: messageInit(model, part.rows), valid: true, refused: false, rows: part.rows }
      : { ...mutatedMessage(model, 4, part.mutation), valid: false, rows: firstRows(4) },
  );
  const envelopes = expected.map(({ init }, index) => envelope({ ...init, id: String(index) }));
  const body = new Uint8Array(envelopes.reduce((sum, one) => sum + one.byteLength, 0));
  let offset = 0;
  for (const one of envelopes) {
    body.set(one, offset);
    offset += one.byteLength;
  }
  const answer = await sendGrpc(`${SERVICE}ModelStreamInfer`, body);
  if (answer.httpStatus !== 200 || answer.grpcStatus !== 0) {
    throw new Error(
      `HTTP ${answer.httpStatus}, gRPC status ${answer.grpcStatus} (${answer.message}), expected OK`,
    );
  }
  const responses = messagesOf(answer).map((message) =>
    fromBinary(ModelStreamInferResponseSchema, message),
  );
  if (responses.length !== parts.length)
    throw new Error(`${responses.length} responses to ${parts.length} requests`);
  const seen = new Set<string>();
  for (const response of responses) {
    const id = response.inferResponse?.id ?? "";
    const part = expected[Number(id)];
    if (id === "" || part === undefined || seen.has(id))
      throw new Error(`an answer with id "${id}"`);
    seen.add(id);
    if (response.errorMessage !== "") {
      if (/^(UNKNOWN|INTERNAL|DATA_LOSS)\b/.test(response.errorMessage)) {
        throw new Error(`request ${id} failed with ${response.errorMessage.slice(0, 300)}`);
      }
      if (part.valid)
        throw new Error(`valid request ${id} failed: ${response.errorMessage.slice(0, 300)}`);
      continue;
    }
    if (part.refused) throw new Error(`request ${id} answered, expected a refusal`);
    const outputs = response.inferResponse?.outputs ?? [];
    const [tensor] = tensorsOfMessage(
      outputs,
      response.inferResponse?.rawOutputContents ?? [],
      "raw_output_contents",
    );
    const differs = scoresDiffer(model, part.rows, scoresOfTensor(tensor, part.rows.length));
    if (differs !== undefined) throw new Error(`request ${id}: wrong answer: ${differs}`);
  }
}

async function performValid(call: ValidCall): Promise<void> {
  const expectation: Expectation = { answer: "valid", model: call.model, rows: call.rows };
  switch (call.via) {
    case "rest-json":
      return checkRest(
        await sendRest({ path: inferPath(call.model), body: restJson(call.rows) }),
        expectation,
      );
    case "rest-binary": {
      const raw = rawOf(call.rows);
      const header = {
        inputs: [
          {
            name: "features",
            datatype: "FP32",
            shape: [call.rows.length, FEATURES],
            parameters: { binary_data_size: raw.byteLength },
          },
        ],
        outputs: [{ name: "fraud_score", parameters: { binary_data: true } }],
      };
      const { body, headerLength } = buildBinaryExtensionBody(header, [raw]);
      const headers = {
        "content-type": "application/octet-stream",
        "inference-header-content-length": String(headerLength),
      };
      return checkRest(await sendRest({ path: inferPath(call.model), headers, body }), expectation);
    }
    case "rest-gzip": {
      const body = gzipSync(restJson(call.rows));
      return checkRest(
        await sendRest({
          path: inferPath(call.model),
          headers: { "content-encoding": "gzip" },
          body,
        }),
        expectation,
      );
    }
    case "grpc-raw":
      return checkGrpc(
        await sendGrpc(`${SERVICE}ModelInfer`, envelope(messageInit(call.model, call.rows))),
        expectation,
      );
    case "grpc-typed": {
      const init: InferRequestInit = {
        modelName: call.model,
        inputs: [
          {
            name: "features",
            datatype: "FP32",
            shape: [BigInt(call.rows.length), BigInt(FEATURES)],
            contents: { fp32Contents: valuesOf(call.rows) },
          },
        ],
      };
      return checkGrpc(await sendGrpc(`${SERVICE}ModelInfer`, envelope(init)), expectation);
    }
    case "grpc-gzip": {
      const body = gzipEnvelope(messageBytes(messageInit(call.model, call.rows)));
      return checkGrpc(
        await sendGrpc(`${SERVICE}ModelInfer`, body, { "grpc-encoding": "gzip" }),
        expectation,
      );
    }
    case "grpc-stream":
      return performStream(call.model, [{ rows: call.rows }]);
  }
}

/** Sends one call and checks its answer. */
async function performCall(call: Call): Promise<void> {
  if (call.kind === "valid") return performValid(call);
  if (call.kind === "rest") {
    const { request, expectation } = restRequestOf(call);
    return checkRest(await sendRest(request), expectation);
  }
  if (call.case === "stream") return performStream(call.model, call.parts);
  const { path, headers, body, expectation, allowInternal } = grpcRequestOf(call);
  return checkGrpc(await sendGrpc(path, body, headers), expectation, allowInternal);
}

/** Sends one call and checks its answer; an error names the call. */
async function perform(call: Call): Promise<void> {
  try {
    await performCall(call);
  } catch (error) {
    const what = JSON.stringify(call, (_, value) =>
      typeof value === "bigint" ? `${value}n` : value,
    ).slice(0, 300);
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// ---------------------------------------------------------------------------------------------

function connectGrpc(url: string): ClientHttp2Session {
  const connected = http2.connect(url);
  connected.on("goaway", (code, lastStreamId) => {
    sessionTrouble.push(`GOAWAY ${code} after stream ${lastStreamId}`);
  });
  connected.on("error", (error) => sessionTrouble.push(`session error: ${error.message}`));
  return connected;
}

/** Error-level log lines other than those of the INTERNAL answers the fuzz allows. */
function serverFaultLogs(): string[] {
  return sidecar.logs
    .filter((record) => (record.level ?? 0) >= 50)
    .filter((record) => {
      if (record.code !== "INTERNAL") return true;
      // The compressed message without `grpc-encoding`, and the count of those not logged.
      return !(
        typeof record.suppressed === "number" ||
        String(record.reason).includes("compressed envelope")
      );
    })
    .map((record) => JSON.stringify(record).slice(0, 500));
}

describe("malformed requests among valid ones (seeded fuzz)", { timeout: 120_000 }, () => {
  beforeAll(async () => {
    sidecar = spawnSidecar({
      env: { ...process.env, GPU_SIDECAR_MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES) },
    });
    addresses = await sidecar.serving;
    session = connectGrpc(String(addresses.grpcUrl));
    // The reference: each model's answer to the eight rows in one request.
    for (const name of MODELS) {
      const answer = await sendRest({
        path: inferPath(name),
        body: restJson(firstRows(ROWS.length)),
      });
      expect(answer.status).toBe(200);
      const scores = Array.from(restScores(answer, ROWS.length));
      // Distinct scores, so that an answer for the wrong row cannot pass.
      for (const [i, score] of scores.entries()) {
        for (const other of scores.slice(i + 1))
          expect(Math.abs(score - other)).toBeGreaterThan(1e-4);
      }
      reference.set(name, scores);
    }
  }, 60_000);

  afterAll(async () => {
    session?.close();
    await sidecar?.stop();
  }, 30_000);

  it("answers every malformed request with a client error and every valid one correctly", async () => {
    const startedAt = performance.now();
    let runs = 0;
    let calls = 0;
    const details = await fc.check(
      fc.asyncProperty(runOfCalls, async (run) => {
        // Past the budget the remaining runs are skipped, not cut off mid-way.
        if (performance.now() - startedAt > TIME_BUDGET_MS) return;
        runs++;
        calls += run.length;
        await Promise.all(run.map(perform));
        expect(sessionTrouble, "the gRPC connection").toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    const ms = Math.round(performance.now() - startedAt);
    console.log(
      `bad-input fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays it), ${runs} runs, ${calls} requests, ${ms} ms; ${connectParseFailures} unparseable messages answered INTERNAL by Connect (known gap)`,
    );
    if (details.failed) {
      throw new Error(`${String(details.errorInstance)}\n${fc.defaultReportMessage(details)}`);
    }
    expect(runs).toBeGreaterThan(0);
    expect(serverFaultLogs()).toEqual([]);
  });

  it("leaves every model answering correctly over both protocols, ready, and the process alive", async () => {
    // A fresh connection: the fuzz's one may have been the casualty.
    session.close();
    session = connectGrpc(String(addresses.grpcUrl));
    const rows = [7, 0, 3, 3, 1, 6, 2, 5, 4];
    for (const model of MODELS) {
      for (const via of ["rest-json", "grpc-raw", "grpc-gzip"] as const) {
        await perform({ kind: "valid", via, model, rows });
      }
      await perform({ kind: "valid", via: "grpc-stream", model, rows: firstRows(70) });
      const ready = await sendRest({ path: `/v2/models/${model}/ready`, method: "GET" });
      expect(ready.status).toBe(200);
    }
    expect((await sendRest({ path: "/v2/health/ready", method: "GET" })).status).toBe(200);
    expect(sidecar.running).toBe(true);
  });
});

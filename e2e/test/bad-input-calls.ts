// What the bad-input fuzz sends: every call as plain data (so that fast-check prints a failing
// case readably), and the fast-check arbitraries that generate runs of them.
import { DATATYPES, encodeGrpcEnvelope } from "@gpu-sidecar/sidecar-core";
import fc from "fast-check";

/** Small, so that bodies over the limit are cheap to send; 160 rows of JSON still fit. */
export const MAX_REQUEST_BYTES = 256 * 1024;
export const FEATURES = 16;
/** The bundled ONNX model and the mock backend's model; both take up to 64 rows per batch. */
export const MODELS = ["fraud", "fraud-mock"] as const;
export type Model = (typeof MODELS)[number];
const MAX_ROWS = 160;
export const SERVICE = "/inference.GRPCInferenceService/";

/**
 * Eight distinct rows; a valid request is any sequence of them, so its answer is known row by
 * row from the reference answer of the eight taken at the start.
 */
export const ROWS: readonly (readonly number[])[] = Array.from({ length: 8 }, (_, row) =>
  Array.from({ length: FEATURES }, (_, i) => Math.fround(Math.sin(row * FEATURES + i) * 3)),
);
const VALID_VIAS = [
  "rest-json",
  "rest-binary",
  "rest-gzip",
  "grpc-raw",
  "grpc-typed",
  "grpc-gzip",
  "grpc-stream",
] as const;

export interface ValidCall {
  readonly kind: "valid";
  readonly via: (typeof VALID_VIAS)[number];
  readonly model: Model;
  readonly rows: readonly number[];
}

/** A change that makes a tensor of `rows` rows invalid. */
export type TensorMutation =
  | { readonly field: "name"; readonly name: string }
  | { readonly field: "datatype"; readonly datatype: string }
  | { readonly field: "shape"; readonly shape: readonly number[] }
  | { readonly field: "drop-values"; readonly count: number }
  | { readonly field: "extra-values"; readonly count: number }
  | { readonly field: "bad-value"; readonly at: number; readonly value: unknown }
  | { readonly field: "nesting"; readonly depth: number }
  | { readonly field: "not-an-array"; readonly value: unknown };

export type RestCall =
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
export type MessageMutation =
  | { readonly field: "model-name"; readonly name: string }
  | { readonly field: "model-version"; readonly version: string }
  | { readonly field: "name"; readonly name: string }
  | { readonly field: "datatype"; readonly datatype: string }
  | { readonly field: "shape"; readonly shape: readonly bigint[] }
  | { readonly field: "raw-length"; readonly delta: number }
  | { readonly field: "raw-count"; readonly count: number }
  | { readonly field: "wrong-contents"; readonly kind: "int" | "bool" | "bytes" | "fp64" }
  | { readonly field: "raw-and-contents" };

export type GrpcCall =
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
      /** Bytes after the messages: none, a message of garbage, or an envelope cut short. */
      readonly tail: Uint8Array;
      /** A `grpc-timeout` that may pass while answers are being sent. */
      readonly timeout: string | null;
    };

export type Call = ValidCall | RestCall | GrpcCall;

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

/** Any input name but `features`, some so long that an error must not echo them whole. */
const wrongInputName = fc
  .oneof(
    fc.string({ maxLength: 40 }),
    fc.integer({ min: 256, max: 70_000 }).map((length) => "n".repeat(length)),
  )
  .filter((name) => name !== "features");

/** Any datatype but the models' FP32, known or not. */
const wrongDatatype = fc.oneof(
  fc.constantFrom(...DATATYPES.filter((datatype) => datatype !== "FP32")),
  fc.string({ maxLength: 12 }).filter((datatype) => datatype !== "FP32"),
);

const tensorMutation: fc.Arbitrary<TensorMutation> = fc.oneof(
  fc.record({ field: fc.constant("name" as const), name: wrongInputName }),
  fc.record({ field: fc.constant("datatype" as const), datatype: wrongDatatype }),
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
  fc.record({ field: fc.constant("name" as const), name: wrongInputName }),
  fc.record({ field: fc.constant("datatype" as const), datatype: wrongDatatype }),
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
    tail: fc.oneof(
      { arbitrary: fc.constant(new Uint8Array()), weight: 2 },
      fc.uint8Array({ maxLength: 60 }).map(encodeGrpcEnvelope),
      fc.uint8Array({ minLength: 1, maxLength: 60 }).map((bytes) => {
        const cut = encodeGrpcEnvelope(bytes);
        return cut.subarray(0, cut.byteLength - 1);
      }),
    ),
    timeout: fc.option(fc.constantFrom("1m", "3m", "10m", "30m")),
  }),
);

/** One run: calls sent all at once, valid ones about a third of them. */
export const runOfCalls = fc.array(
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

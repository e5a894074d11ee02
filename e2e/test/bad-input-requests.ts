// The requests of the bad-input fuzz: each call description becomes the bytes sent and what
// its answer must be. Pure: nothing here touches the network.

import { deflateSync, gzipSync } from "node:zlib";
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { encodeGrpcEnvelope, ModelInferRequestSchema } from "@gpu-sidecar/sidecar-core";
import {
  FEATURES,
  type GrpcCall,
  MAX_REQUEST_BYTES,
  type MessageMutation,
  MODELS,
  type Model,
  type RestCall,
  ROWS,
  SERVICE,
  type TensorMutation,
} from "./bad-input-calls.js";

export function valuesOf(rows: readonly number[]): number[] {
  return rows.flatMap((row) => ROWS[row] ?? []);
}

/** `count` rows cycling through the eight. */
export function firstRows(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i % ROWS.length);
}

export function rawOf(rows: readonly number[]): Uint8Array {
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

export function restJson(rows: readonly number[]): string {
  return JSON.stringify({ inputs: [restTensor(rows)] });
}

/** A ModelInferRequest as plain fields (protobuf-es `create` takes it). */
export interface InferRequestInit {
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

export function messageInit(model: Model, rows: readonly number[]): InferRequestInit {
  return {
    modelName: model,
    inputs: [
      { name: "features", datatype: "FP32", shape: [BigInt(rows.length), BigInt(FEATURES)] },
    ],
    rawInputContents: [rawOf(rows)],
  };
}

export function messageBytes(init: InferRequestInit): Uint8Array {
  return toBinary(
    ModelInferRequestSchema,
    create(ModelInferRequestSchema, init as MessageInitShape<typeof ModelInferRequestSchema>),
  );
}

export function envelope(init: InferRequestInit): Uint8Array {
  return encodeGrpcEnvelope(messageBytes(init));
}

export function gzipEnvelope(message: Uint8Array): Uint8Array {
  const framed = encodeGrpcEnvelope(gzipSync(message));
  framed[0] = 1;
  return framed;
}

/** What an answer must be: a valid one for these rows, a refusal, or either of the two. */
export type Expectation =
  | { readonly answer: "valid"; readonly model: Model; readonly rows: readonly number[] }
  | { readonly answer: "refused" }
  | { readonly answer: "either"; readonly model: Model; readonly rows: readonly number[] };

const REFUSED: Expectation = { answer: "refused" };

export interface RestRequest {
  readonly path: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
}

export function inferPath(model: string): string {
  return `/v2/models/${encodeURIComponent(model)}/infer`;
}

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

export function restRequestOf(call: RestCall): { request: RestRequest; expectation: Expectation } {
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

export function mutatedMessage(
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

export function grpcRequestOf(call: Exclude<GrpcCall, { case: "stream" }>): {
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

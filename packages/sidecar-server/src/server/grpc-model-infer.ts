import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  decodeUnaryGrpcEnvelope,
  encodeGrpcEnvelope,
  GRPC_ENVELOPE_PREFIX,
  type ModelInferRequest,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
} from "@gpu-sidecar/sidecar-core";
import type { Context } from "@opentelemetry/api";
import { traceParentOf } from "../tracing/trace-parent.js";
import { toConnectError } from "./error-status.js";
import type { RequestLog, RequestLogContext } from "./request-log.js";

type ModelInferResponseInit = MessageInitShape<typeof ModelInferResponseSchema>;

/** What a ModelInfer call runs once its request is decoded (the Connect service runs the same). */
export type ModelInferFunction = (
  request: ModelInferRequest,
  deadlineMs: number | undefined,
  signal: AbortSignal,
  /** The caller's trace, while tracing (see tracing/trace-parent.ts). */
  trace: Context | undefined,
) => Promise<ModelInferResponseInit>;

/** Takes an HTTP/2 stream and answers it, or returns false to leave it to Connect. */
export type Http2StreamHandler = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
) => boolean;

export interface GrpcModelInferOptions {
  readonly infer: ModelInferFunction;
  readonly requestLog: RequestLog;
  /** Connect's `readMaxBytes`: a larger request message fails with RESOURCE_EXHAUSTED. */
  readonly readMaxBytes: number;
}

const PATH = "/inference.GRPCInferenceService/ModelInfer";
const RESPONSE_HEADERS = { ":status": 200, "content-type": "application/grpc+proto" } as const;
const OK_TRAILERS = { "grpc-status": "0" } as const;
const UNIT_MS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/** `grpc-timeout` in milliseconds; null when it is malformed (Connect then answers). */
function parseGrpcTimeout(value: string | string[] | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== "string") return null;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (match === null) return null;
  return (UNIT_MS[match[2] as string] as number) * Number.parseInt(match[1] as string, 10);
}

function isPlainGrpc(headers: IncomingHttpHeaders): boolean {
  const type = headers["content-type"];
  if (type !== "application/grpc" && type !== "application/grpc+proto") return false;
  const encoding = headers["grpc-encoding"];
  return encoding === undefined || encoding === "identity";
}

function sendError(stream: ServerHttp2Stream, error: ConnectError): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  // Trailers-only, as gRPC servers answer a call that failed before any message.
  stream.respond(
    {
      ...RESPONSE_HEADERS,
      "grpc-status": String(error.code),
      "grpc-message": encodeURIComponent(error.rawMessage),
    },
    { endStream: true },
  );
}

function sendMessage(stream: ServerHttp2Stream, response: ModelInferResponseInit): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const envelope = encodeGrpcEnvelope(
    toBinary(ModelInferResponseSchema, create(ModelInferResponseSchema, response)),
  );
  stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers(OK_TRAILERS));
  stream.end(envelope);
}

/**
 * Unary gRPC `ModelInfer` on node:http2's stream API, without Connect's per-call pipeline.
 * Measured (scripts in the commit message): Connect's handler, its compat request/response and
 * its per-call AbortControllers cost ~0.6 ms of main-thread CPU per call, ten times the
 * model's own decode/batch/encode. Only the plain case is taken: POST, `application/grpc` or
 * `application/grpc+proto`, no request compression, a well-formed `grpc-timeout` if any;
 * everything else (gRPC-Web, Connect protocol, JSON, compressed, other methods) returns false
 * and goes to Connect, which answers it as before. Errors are the same gRPC statuses and
 * messages as Connect's, as trailers-only responses.
 */
export function createGrpcModelInfer(options: GrpcModelInferOptions): Http2StreamHandler {
  const { infer, readMaxBytes, requestLog } = options;
  return (stream, headers) => {
    if (headers[":path"] !== PATH || headers[":method"] !== "POST" || !isPlainGrpc(headers)) {
      return false;
    }
    const timeoutMs = parseGrpcTimeout(headers["grpc-timeout"]);
    if (timeoutMs === null) return false;
    const startedAt = requestLog.accessEnabled ? performance.now() : 0;
    let request: ModelInferRequest | undefined;
    const logContext = (): RequestLogContext => ({
      protocol: "grpc",
      method: "ModelInfer",
      model: request?.modelName,
      version: request?.modelVersion,
    });
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = false;
    let settled = false;
    const controller = new AbortController();
    // Connect's deadline signal: the queue also expires the request by itself (its timeout
    // is lowered to the deadline); this cancels it wherever it is, as Connect does.
    const deadline =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () =>
              controller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
            timeoutMs,
          );
    const settle = () => {
      settled = true;
      if (deadline !== undefined) clearTimeout(deadline);
    };
    stream.once("close", () => {
      if (settled) return;
      settle();
      controller.abort(new ConnectError("operation was aborted via signal", Code.Canceled));
    });
    stream.on("error", () => {
      // A reset or broken stream ends in `close`, which cancels the call.
    });
    stream.on("data", (chunk: Buffer) => {
      received += chunk.byteLength;
      if (received > readMaxBytes + GRPC_ENVELOPE_PREFIX) {
        tooLarge = true;
        return;
      }
      chunks.push(chunk);
    });
    stream.once("end", () => {
      if (settled) return;
      const fail = (error: ConnectError) => {
        settle();
        requestLog.failed(logContext(), error);
        sendError(stream, error);
      };
      if (tooLarge) {
        fail(
          new ConnectError(
            `message size ${received - GRPC_ENVELOPE_PREFIX} is larger than configured readMaxBytes ${readMaxBytes}`,
            Code.ResourceExhausted,
          ),
        );
        return;
      }
      // A private copy, as Connect makes: the tensors are views of it, and the executor
      // transfers their buffer to a worker thread, which must never detach node:http2's
      // pooled receive buffers.
      const body = new Uint8Array(received);
      let offset = 0;
      for (const chunk of chunks) {
        body.set(chunk, offset);
        offset += chunk.byteLength;
      }
      const message = decodeUnaryGrpcEnvelope(body, "input", readMaxBytes);
      if (message instanceof ConnectError) {
        fail(message);
        return;
      }
      let decoded: ModelInferRequest;
      try {
        decoded = fromBinary(ModelInferRequestSchema, message);
      } catch (error) {
        fail(
          new ConnectError(
            `parse binary: ${error instanceof Error ? error.message : String(error)}`,
            Code.InvalidArgument,
          ),
        );
        return;
      }
      request = decoded;
      let result: Promise<ModelInferResponseInit>;
      try {
        result = infer(
          decoded,
          timeoutMs,
          controller.signal,
          traceParentOf((name) => headers[name]),
        );
      } catch (error) {
        result = Promise.reject(error);
      }
      result.then(
        (response) => {
          if (settled) return;
          settle();
          sendMessage(stream, response);
          if (startedAt !== 0) requestLog.access(logContext(), "OK", performance.now() - startedAt);
        },
        (error: unknown) => {
          if (settled) return;
          fail(toConnectError(error));
        },
      );
    });
    return true;
  };
}

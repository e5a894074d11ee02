import type { ServerHttp2Stream } from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  decodeUnaryGrpcEnvelope,
  encodeInferResponseEnvelope,
  GRPC_ENVELOPE_PREFIX,
  type InferResponseFields,
  type ModelInferRequest,
  ModelInferRequestSchema,
} from "@gpu-sidecar/sidecar-core";
import type { Context } from "@opentelemetry/api";
import { toConnectError } from "./error-status.js";
import type { GrpcCall } from "./grpc-model-stream-infer.js";
import { GRPC_OK_TRAILERS, GRPC_RESPONSE_HEADERS, sendError, writable } from "./grpc-response.js";
import type { RequestLog, RequestLogContext } from "./request-log.js";

/** What a ModelInfer call runs once its request is decoded (the Connect service runs the same). */
export type ModelInferFunction = (
  request: ModelInferRequest,
  deadlineMs: number | undefined,
  signal: AbortSignal,
  /** The caller's trace, while tracing (see tracing/trace-parent.ts). */
  trace: Context | undefined,
) => Promise<InferResponseFields>;

function sendMessage(stream: ServerHttp2Stream, response: InferResponseFields): void {
  if (!writable(stream) || stream.headersSent) return;
  const envelope = encodeInferResponseEnvelope(response);
  stream.respond(GRPC_RESPONSE_HEADERS, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers(GRPC_OK_TRAILERS));
  stream.end(envelope);
}

/**
 * Unary gRPC `ModelInfer` on node:http2's stream API, without Connect's per-call pipeline
 * (its handler, compat request/response and per-call AbortControllers cost ~0.6 ms of
 * main-thread CPU per call, ten times the model's own decode/batch/encode; see the package's
 * docs/hot-path.md). Errors are the same gRPC statuses and messages as Connect's, as
 * trailers-only responses.
 */
export function createGrpcModelInfer(
  infer: ModelInferFunction,
  readMaxBytes: number,
  requestLog: RequestLog,
) {
  return (stream: ServerHttp2Stream, call: GrpcCall): void => {
    const { timeoutMs, trace } = call;
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
      let result: Promise<InferResponseFields>;
      try {
        result = infer(decoded, timeoutMs, controller.signal, trace);
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
  };
}

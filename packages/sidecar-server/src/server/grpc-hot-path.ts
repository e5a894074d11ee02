import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { parseGrpcTimeout } from "@gpu-sidecar/sidecar-core";
import { traceParentOf } from "../tracing/trace-parent.js";
import { type BearerAuth, UNAUTHENTICATED_MESSAGE } from "./bearer-auth.js";
import { createGrpcModelInfer, type ModelInferFunction } from "./grpc-model-infer.js";
import { createGrpcModelStreamInfer, type GrpcCall } from "./grpc-model-stream-infer.js";
import { sendError } from "./grpc-response.js";
import type { RequestLog } from "./request-log.js";

/** Takes an HTTP/2 stream and answers it, or returns false to leave it to Connect. */
export type Http2StreamHandler = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
) => boolean;

export interface GrpcHotPathOptions {
  /** What both methods run per request (the Connect service runs the same). */
  readonly infer: ModelInferFunction;
  /** Connect's `readMaxBytes`: a larger request message fails with RESOURCE_EXHAUSTED. */
  readonly readMaxBytes: number;
  /** The bearer token check, as Connect's interceptor applies it. */
  readonly auth?: BearerAuth | undefined;
  readonly requestLog: RequestLog;
}

const SERVICE = "/inference.GRPCInferenceService/";

function isPlainGrpc(headers: IncomingHttpHeaders): boolean {
  const type = headers["content-type"];
  if (type !== "application/grpc" && type !== "application/grpc+proto") return false;
  const encoding = headers["grpc-encoding"];
  return encoding === undefined || encoding === "identity";
}

/**
 * The sidecar's one inference hot path: plain gRPC `ModelInfer` and `ModelStreamInfer` on
 * node:http2 streams. Everything else (other methods, gRPC-Web, the Connect protocol, JSON,
 * compressed messages, a malformed `grpc-timeout`) returns false and goes to Connect, which
 * answers it as before. Auth is the bearer check of Connect's interceptor, with the same
 * status and message. Why and what it saves: the package's docs/hot-path.md.
 */
export function createGrpcHotPath(options: GrpcHotPathOptions): Http2StreamHandler {
  const { infer, readMaxBytes, auth, requestLog } = options;
  const methods: Readonly<Record<string, (stream: ServerHttp2Stream, call: GrpcCall) => void>> = {
    [`${SERVICE}ModelInfer`]: createGrpcModelInfer(infer, readMaxBytes, requestLog),
    [`${SERVICE}ModelStreamInfer`]: createGrpcModelStreamInfer(infer, readMaxBytes, requestLog),
  };
  return (stream, headers) => {
    const path = headers[":path"];
    const method = path === undefined ? undefined : methods[path];
    if (method === undefined || headers[":method"] !== "POST" || !isPlainGrpc(headers)) {
      return false;
    }
    const timeoutMs = parseGrpcTimeout(headers["grpc-timeout"]);
    if (timeoutMs === null) return false;
    if (auth !== undefined && !auth.accepts(headers.authorization)) {
      // Answered at once, as Connect's interceptor answers; the body is left unread (HTTP/2
      // flow control bounds it) until the client ends or resets the stream. Reading it on
      // (`resume`) made clients that then close their connection error the session.
      stream.on("error", () => {});
      const refused = new ConnectError(UNAUTHENTICATED_MESSAGE, Code.Unauthenticated);
      requestLog.failed({ protocol: "grpc", method: path?.slice(SERVICE.length) ?? "" }, refused);
      sendError(stream, refused);
      return true;
    }
    method(stream, { timeoutMs, trace: traceParentOf((name) => headers[name]) });
    return true;
  };
}

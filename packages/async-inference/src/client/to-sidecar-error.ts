import { constants as http2Constants } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorCode, errorCodeOfGrpc, SidecarError } from "@gpu-sidecar/sidecar-core";
import { resetCode } from "./grpc-call-status.js";
import { UNANSWERED_STREAM } from "./unanswered-stream.js";

/**
 * Node and HTTP/2 errors that mean the connection itself failed: nothing to connect to
 * (refused, no socket file, unreachable host), or it broke (reset, GOAWAY, ping timeout).
 * connect-node reports several of them as INTERNAL or ABORTED; for routing they all mean the
 * endpoint is unavailable.
 */
const CONNECTION_FAILURES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOENT",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_PING_CANCEL",
]);

/**
 * The code of a call that failed in transport, before any answer: a broken or refused
 * connection, a reset stream (Node's ERR_HTTP2_STREAM_ERROR, whose message names the reset
 * code: "Stream closed with error code NGHTTP2_REFUSED_STREAM"), a stream closed unanswered.
 * Undefined when nothing in the cause chain says so.
 */
function transportFailure(reason: unknown): ErrorCode | undefined {
  const seen = new Set<unknown>();
  for (let error = reason; error instanceof Error && !seen.has(error); error = error.cause) {
    seen.add(error);
    const code = (error as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (CONNECTION_FAILURES.has(code) || code === UNANSWERED_STREAM) return ErrorCode.Unavailable;
    if (code === "ERR_HTTP2_STREAM_ERROR") {
      // Inference is a pure function of its inputs: a reset that says no more than "no answer"
      // (REFUSED_STREAM, a stream above a GOAWAY's last id, a transport CANCEL) is UNAVAILABLE.
      const name = /NGHTTP2_[A-Z0-9_]+/.exec(error.message)?.[0] ?? "";
      const rstCode = (http2Constants as Readonly<Record<string, unknown>>)[name];
      const reset = typeof rstCode === "number" ? resetCode(rstCode) : undefined;
      return reset === undefined || reset === Code.Canceled
        ? ErrorCode.Unavailable
        : errorCodeOfGrpc(reset);
    }
  }
  return undefined;
}

/**
 * The one place where whatever a call threw becomes the package's error; gRPC statuses map
 * through sidecar-core's status table (codes the sidecar never sends collapse onto the nearest
 * one a caller can act on; the original stays as `cause`). `what` names the
 * call and endpoint for the message; `callerAborted` tells a cancellation by the caller from
 * one by the transport: when a sidecar dies, Node cancels its open HTTP/2 streams, and those
 * calls surface as CANCELLED although nobody cancelled them — they are UNAVAILABLE.
 */
export function toSidecarError(
  reason: unknown,
  what: string,
  callerAborted: boolean,
): SidecarError {
  if (reason instanceof SidecarError) return reason;
  const error = ConnectError.from(reason);
  let code: ErrorCode;
  if (callerAborted) {
    code = ErrorCode.Cancelled;
  } else if (error.code === Code.Canceled) {
    code = ErrorCode.Unavailable;
  } else {
    code = transportFailure(error) ?? errorCodeOfGrpc(error.code);
  }
  return new SidecarError(code, `${what}: [${Code[error.code]}] ${error.rawMessage}`, {
    cause: reason,
  });
}

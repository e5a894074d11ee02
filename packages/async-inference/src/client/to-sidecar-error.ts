import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorCode, errorCodeOfGrpc, SidecarError } from "@gpu-sidecar/sidecar-core";

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

function isConnectionFailure(reason: unknown): boolean {
  const seen = new Set<unknown>();
  for (let error = reason; error instanceof Error && !seen.has(error); error = error.cause) {
    seen.add(error);
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_FAILURES.has(code)) return true;
  }
  return false;
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
  } else if (error.code === Code.Canceled || isConnectionFailure(error)) {
    code = ErrorCode.Unavailable;
  } else {
    code = errorCodeOfGrpc(error.code);
  }
  return new SidecarError(code, `${what}: [${Code[error.code]}] ${error.rawMessage}`, {
    cause: reason,
  });
}

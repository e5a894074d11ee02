import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";

/**
 * Whether a request's signal fired because its call's deadline passed rather than because its
 * client went away: the first is DEADLINE_EXCEEDED, and must never read as CANCELLED (a client
 * retries the one and not the other). Connect's deadline signal and the gRPC hot path's abort
 * with a DEADLINE_EXCEEDED ConnectError, `AbortSignal.timeout` with a TimeoutError.
 */
export function isDeadlineAbort(reason: unknown): boolean {
  if (reason instanceof ConnectError) return reason.code === Code.DeadlineExceeded;
  if (reason instanceof SidecarError) return reason.code === ErrorCode.DeadlineExceeded;
  return reason instanceof Error && reason.name === "TimeoutError";
}

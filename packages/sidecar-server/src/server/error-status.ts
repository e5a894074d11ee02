import { ConnectError } from "@connectrpc/connect";
import { grpcCodeOf, httpStatusOfCode, SidecarError } from "@gpu-sidecar/sidecar-core";

/** Seconds a client should wait before retrying an overloaded or draining sidecar. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * The Connect error a handler throws for anything (its gRPC code from sidecar-core's status
 * table); ConnectErrors pass through unchanged.
 */
export function toConnectError(reason: unknown): ConnectError {
  if (reason instanceof ConnectError) return reason;
  const error = SidecarError.from(reason);
  return new ConnectError(error.message, grpcCodeOf(error.code), undefined, undefined, error);
}

/** The HTTP status of an error, and whether the answer carries `Retry-After`. */
export function httpStatusOf(error: SidecarError): { status: number; retryAfter: boolean } {
  const status = httpStatusOfCode(error.code);
  return { status, retryAfter: status === 503 };
}

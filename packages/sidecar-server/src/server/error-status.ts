import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";

/**
 * The one mapping from SidecarError codes to what each transport says. gRPC codes are the
 * codes' namesakes; HTTP statuses follow the gRPC/HTTP convention (grpc-gateway), with 503 for
 * overload so that Flink's Triton provider, which never retries a 4xx, can retry it.
 */
const STATUS: Readonly<Record<ErrorCode, { readonly grpc: Code; readonly http: number }>> = {
  [ErrorCode.InvalidArgument]: { grpc: Code.InvalidArgument, http: 400 },
  [ErrorCode.NotFound]: { grpc: Code.NotFound, http: 404 },
  [ErrorCode.AlreadyExists]: { grpc: Code.AlreadyExists, http: 409 },
  [ErrorCode.FailedPrecondition]: { grpc: Code.FailedPrecondition, http: 400 },
  [ErrorCode.ResourceExhausted]: { grpc: Code.ResourceExhausted, http: 503 },
  [ErrorCode.DeadlineExceeded]: { grpc: Code.DeadlineExceeded, http: 504 },
  // 499 is nginx's "client closed request": nobody reads it, but logs and metrics do.
  [ErrorCode.Cancelled]: { grpc: Code.Canceled, http: 499 },
  [ErrorCode.Unavailable]: { grpc: Code.Unavailable, http: 503 },
  [ErrorCode.Unimplemented]: { grpc: Code.Unimplemented, http: 501 },
  [ErrorCode.Internal]: { grpc: Code.Internal, http: 500 },
};

/** Seconds a client should wait before retrying an overloaded or draining sidecar. */
export const RETRY_AFTER_SECONDS = 1;

/** The Connect error a handler throws for anything; ConnectErrors pass through unchanged. */
export function toConnectError(reason: unknown): ConnectError {
  if (reason instanceof ConnectError) return reason;
  const error = SidecarError.from(reason);
  return new ConnectError(error.message, STATUS[error.code].grpc, undefined, undefined, error);
}

/** The HTTP status of an error, and whether the answer carries `Retry-After`. */
export function httpStatusOf(error: SidecarError): { status: number; retryAfter: boolean } {
  const status = STATUS[error.code].http;
  return { status, retryAfter: status === 503 };
}

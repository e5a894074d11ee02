import { Code } from "@connectrpc/connect";
import { ErrorCode } from "../sidecar-error.js";

/**
 * The one table of what each error code is called on each wire: the gRPC status (the code's
 * namesake) and the HTTP status (the gRPC/HTTP convention of grpc-gateway, with 503 for
 * overload so that Flink's Triton provider, which never retries a 4xx, can retry it).
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

/**
 * gRPC statuses the sidecar never sends (a proxy or another server may), collapsed onto the
 * nearest code a caller can act on.
 */
const FOREIGN_GRPC: Readonly<Partial<Record<Code, ErrorCode>>> = {
  [Code.Unknown]: ErrorCode.Internal,
  [Code.PermissionDenied]: ErrorCode.FailedPrecondition,
  // The server gave up on the request part-way: nothing says a retry elsewhere is safe.
  [Code.Aborted]: ErrorCode.Internal,
  [Code.OutOfRange]: ErrorCode.InvalidArgument,
  [Code.DataLoss]: ErrorCode.Internal,
  [Code.Unauthenticated]: ErrorCode.FailedPrecondition,
};

const FROM_GRPC = new Map<number, ErrorCode>([
  ...Object.entries(FOREIGN_GRPC).map(([grpc, code]) => [Number(grpc), code] as const),
  ...Object.entries(STATUS).map(([code, { grpc }]) => [grpc, code as ErrorCode] as const),
]);

/** The gRPC status code of an error code. */
export function grpcCodeOf(code: ErrorCode): Code {
  return STATUS[code].grpc;
}

/** The HTTP status of an error code; 503 answers carry `Retry-After`. */
export function httpStatusOfCode(code: ErrorCode): number {
  return STATUS[code].http;
}

/** The error code of a gRPC status (any of 1…16; an unknown number is INTERNAL). */
export function errorCodeOfGrpc(grpc: number): ErrorCode {
  return FROM_GRPC.get(grpc) ?? ErrorCode.Internal;
}

/**
 * gRPC's mapping of an HTTP status for a response that is not gRPC at all (a proxy's error
 * page), as gRPC's http-grpc-status-mapping document gives it.
 */
export function grpcCodeOfHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.Internal;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.Unavailable;
    default:
      return Code.Unknown;
  }
}

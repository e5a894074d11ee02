import { constants, type OutgoingHttpHeaders } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { decodeGrpcMessage, grpcCodeOfHttpStatus } from "@gpu-sidecar/sidecar-core";
import { context, propagation, type TextMapSetter } from "@opentelemetry/api";

/** Response headers or trailers as node:http2 hands them over. */
export type ReceivedHeaders = Record<string, string | string[] | number | undefined>;

const headerSetter: TextMapSetter<OutgoingHttpHeaders> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/**
 * The request headers of a plain gRPC call on the hot path, with the caller's trace context
 * (`traceparent`), as the Connect transport's interceptor adds it.
 */
export function grpcRequestHeaders(extra?: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    "content-type": "application/grpc+proto",
    te: "trailers",
    ...extra,
  };
  propagation.inject(context.active(), headers, headerSetter);
  return headers;
}

/** Connect's mapping of an HTTP/2 reset (connect-node's `connectErrorFromH2ResetCode`). */
export function resetError(rstCode: number): ConnectError | undefined {
  const c = constants;
  let code: Code;
  switch (rstCode) {
    case c.NGHTTP2_PROTOCOL_ERROR:
    case c.NGHTTP2_INTERNAL_ERROR:
    case c.NGHTTP2_FLOW_CONTROL_ERROR:
    case c.NGHTTP2_SETTINGS_TIMEOUT:
    case c.NGHTTP2_FRAME_SIZE_ERROR:
    case c.NGHTTP2_COMPRESSION_ERROR:
    case c.NGHTTP2_CONNECT_ERROR:
      code = Code.Internal;
      break;
    case c.NGHTTP2_REFUSED_STREAM:
      code = Code.Unavailable;
      break;
    case c.NGHTTP2_CANCEL:
      code = Code.Canceled;
      break;
    case c.NGHTTP2_ENHANCE_YOUR_CALM:
      code = Code.ResourceExhausted;
      break;
    case c.NGHTTP2_INADEQUATE_SECURITY:
    case c.NGHTTP2_HTTP_1_1_REQUIRED:
      code = Code.PermissionDenied;
      break;
    default:
      return undefined;
  }
  return new ConnectError(`http/2 stream closed with error code 0x${rstCode.toString(16)}`, code);
}

function statusError(
  status: string | string[] | number | undefined,
  message: string | string[] | number | undefined,
): ConnectError | undefined {
  if (status === undefined || status === "0") return undefined;
  const code = Number(status);
  const text = typeof message === "string" ? decodeGrpcMessage(message) : "";
  return new ConnectError(
    text,
    Number.isInteger(code) && code > 0 && code <= 16 ? code : Code.Unknown,
  );
}

/**
 * How a finished call ended, from its response headers and trailers (a trailers-only answer
 * carries its status in the headers): undefined for OK, else the error Connect's gRPC
 * transport rejects with for the same answer.
 */
export function callStatusError(
  headers: ReceivedHeaders,
  trailers: ReceivedHeaders | undefined,
): ConnectError | undefined {
  const status = Number(headers[":status"] ?? 0);
  const grpcStatus = trailers?.["grpc-status"] ?? headers["grpc-status"];
  const grpcMessage = trailers?.["grpc-message"] ?? headers["grpc-message"];
  if (status !== 200 && grpcStatus === undefined) {
    return new ConnectError(`HTTP ${status}`, grpcCodeOfHttpStatus(status));
  }
  const failed = statusError(grpcStatus, grpcMessage);
  if (failed !== undefined) return failed;
  if (grpcStatus === undefined) {
    return new ConnectError("protocol error: missing status", Code.Internal);
  }
  return undefined;
}

/** The error of the caller's signal, as Connect rejects an aborted call. */
export function abortError(signal: AbortSignal): ConnectError {
  return ConnectError.from(signal.reason ?? "operation was aborted", Code.Canceled);
}

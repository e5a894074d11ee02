import { type ClientHttp2Stream, constants, type OutgoingHttpHeaders } from "node:http2";
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

/**
 * The gRPC code of a stream reset before its answer, the one table of reset codes. Unlike
 * connect-node's mapping, every reset that says no more than "no answer" is UNAVAILABLE:
 * inference is a pure function of its inputs, so a call that got no answer is safe to send
 * again elsewhere. Undefined for a code that says nothing (NO_ERROR, unknown codes).
 */
export function resetCode(rstCode: number): Code | undefined {
  const c = constants;
  switch (rstCode) {
    case c.NGHTTP2_PROTOCOL_ERROR:
    case c.NGHTTP2_INTERNAL_ERROR:
    case c.NGHTTP2_FLOW_CONTROL_ERROR:
    case c.NGHTTP2_SETTINGS_TIMEOUT:
    case c.NGHTTP2_FRAME_SIZE_ERROR:
    case c.NGHTTP2_COMPRESSION_ERROR:
    case c.NGHTTP2_CONNECT_ERROR:
    case c.NGHTTP2_REFUSED_STREAM:
      return Code.Unavailable;
    case c.NGHTTP2_CANCEL:
      return Code.Canceled;
    case c.NGHTTP2_ENHANCE_YOUR_CALM:
      return Code.ResourceExhausted;
    case c.NGHTTP2_INADEQUATE_SECURITY:
    case c.NGHTTP2_HTTP_1_1_REQUIRED:
      return Code.PermissionDenied;
    default:
      return undefined;
  }
}

/** The error of a stream reset before its answer, by {@link resetCode}. */
export function resetError(rstCode: number): ConnectError | undefined {
  const code = resetCode(rstCode);
  if (code === undefined) return undefined;
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
  if (headers[":status"] === undefined) {
    // No answer at all (a reset with NO_ERROR, as a server whose drain ran out sends): safe to
    // send again, as every call that got no answer.
    return new ConnectError("the stream closed before the server answered", Code.Unavailable);
  }
  const status = Number(headers[":status"]);
  const grpcStatus = trailers?.["grpc-status"] ?? headers["grpc-status"];
  const grpcMessage = trailers?.["grpc-message"] ?? headers["grpc-message"];
  if (status !== 200 && grpcStatus === undefined) {
    return new ConnectError(`HTTP ${status}`, grpcCodeOfHttpStatus(status));
  }
  const failed = statusError(grpcStatus, grpcMessage);
  if (failed !== undefined) return failed;
  if (grpcStatus === undefined) {
    // Headers, maybe messages, but the stream ended (or was reset with NO_ERROR) before the
    // status that says how the call went: no answer, as failWhenUnanswered reads it on the
    // Connect path, so UNAVAILABLE on both.
    return new ConnectError(
      "the stream ended before the server sent the call's status",
      Code.Unavailable,
    );
  }
  return undefined;
}

/**
 * What a call's stream `error` event means: a reset the peer sent for this stream
 * (`ERR_HTTP2_STREAM_ERROR`) is read by its code as gRPC does (a stream refused by a draining
 * server is UNAVAILABLE, safe to retry elsewhere); anything else (the connection reset, the
 * session gone) stays as it is, which the client reads as the endpoint being unavailable.
 * Reading those by the stream's code instead would say INTERNAL for a killed sidecar.
 */
export function streamFailure(stream: ClientHttp2Stream, error: Error): Error {
  const peerReset = (error as { code?: unknown }).code === "ERR_HTTP2_STREAM_ERROR";
  return (peerReset ? resetError(stream.rstCode ?? 0) : undefined) ?? error;
}

/** The error of the caller's signal, as Connect rejects an aborted call. */
export function abortError(signal: AbortSignal): ConnectError {
  return ConnectError.from(signal.reason ?? "operation was aborted", Code.Canceled);
}

import type { ServerHttp2Stream } from "node:http2";
import type { ConnectError } from "@connectrpc/connect";
import { encodeGrpcMessage } from "@gpu-sidecar/sidecar-core";

/** Response headers of every gRPC answer of the hot path. */
export const GRPC_RESPONSE_HEADERS = {
  ":status": 200,
  "content-type": "application/grpc+proto",
} as const;
export const GRPC_OK_TRAILERS = { "grpc-status": "0" } as const;

/** `grpc-status` and `grpc-message` of an error (the message percent-encoded as gRPC says). */
export function errorTrailers(error: ConnectError): Record<string, string> {
  return {
    "grpc-status": String(error.code),
    "grpc-message": encodeGrpcMessage(error.rawMessage),
  };
}

/** Whether an answer can still be written on the stream. */
export function writable(stream: ServerHttp2Stream): boolean {
  return !stream.destroyed && !stream.closed;
}

/**
 * Fails a call that has sent nothing yet with a trailers-only response, as gRPC servers answer
 * a call that failed before any message; once headers are out, with error trailers.
 */
export function sendError(stream: ServerHttp2Stream, error: ConnectError): void {
  if (!writable(stream)) return;
  if (!stream.headersSent) {
    stream.respond({ ...GRPC_RESPONSE_HEADERS, ...errorTrailers(error) }, { endStream: true });
    return;
  }
  stream.once("wantTrailers", () => stream.sendTrailers(errorTrailers(error)));
  stream.end();
}

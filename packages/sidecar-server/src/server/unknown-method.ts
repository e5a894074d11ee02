import { Code } from "@connectrpc/connect";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { encodeGrpcMessage } from "@gpu-sidecar/sidecar-core";

type NodeHandlerFn = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/** Unimplemented in the Connect protocol's words. */
const CONNECT_CODE = "unimplemented";

function messageFor(path: string): string {
  return `the method ${path} is not implemented by gpu-sidecar; see the methods of inference.GRPCInferenceService and grpc.health.v1.Health in sidecar-core's docs/protocol.md`;
}

/**
 * Connect's fallback for a path no service answers. A gRPC or gRPC-Web call gets what a gRPC
 * server sends for an unknown method: HTTP 200 with `grpc-status: 12` (UNIMPLEMENTED), as a
 * trailers-only response; a bare 404 reads as a transport failure to gRPC clients, so a
 * Triton client asking for an RPC the sidecar lacks could not tell "not here" from "broken".
 * A Connect-protocol call gets 404 with the Connect error body; anything else a plain 404.
 */
export const answerUnknownMethod: NodeHandlerFn = (request, response) => {
  request.resume();
  const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
  const type = request.headers["content-type"] ?? "";
  const message = messageFor(path);
  if (type.startsWith("application/grpc")) {
    const headers = {
      "content-type": type.split(";", 1)[0] ?? type,
      "grpc-status": String(Code.Unimplemented),
      "grpc-message": encodeGrpcMessage(message),
    };
    // Over HTTP/2 the one HEADERS frame must end the stream to be a trailers-only response.
    if ("stream" in response) {
      if (!response.stream.headersSent) {
        response.stream.respond({ ":status": 200, ...headers }, { endStream: true });
      }
      return;
    }
    response.writeHead(200, headers);
    response.end();
    return;
  }
  if (type.startsWith("application/json") || type.startsWith("application/proto")) {
    const body = JSON.stringify({ code: CONNECT_CODE, message });
    response.writeHead(404, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    });
    response.end(body);
    return;
  }
  response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
  response.end(`${message}\n`);
};

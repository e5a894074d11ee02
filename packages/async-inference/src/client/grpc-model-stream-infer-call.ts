import { type ClientHttp2Stream, constants } from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Http2SessionManager } from "@connectrpc/connect-node";
import {
  createEnvelopeReader,
  encodeGrpcEnvelope,
  type ModelInferRequest,
  ModelInferRequestSchema,
  type ModelStreamInferResponse,
  ModelStreamInferResponseSchema,
} from "@gpu-sidecar/sidecar-core";
import type { Authorization } from "./bearer-token.js";
import {
  abortError,
  callStatusError,
  grpcRequestHeaders,
  type ReceivedHeaders,
  resetError,
  streamFailure,
} from "./grpc-call-status.js";

/**
 * One `ModelStreamInfer` call: writes `requests` as they come, hands each answer to
 * `onResponse`, and settles when the stream ends: resolves when the server ends it with OK,
 * rejects with what Connect's gRPC transport would reject with otherwise.
 */
export type ModelStreamInferCall = (
  requests: AsyncIterable<ModelInferRequest>,
  signal: AbortSignal,
  onResponse: (response: ModelStreamInferResponse) => void,
) => Promise<void>;

const PATH = "/inference.GRPCInferenceService/ModelStreamInfer";

function drainedOrClosed(stream: ClientHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/**
 * `ModelStreamInfer` straight on the endpoint's HTTP/2 session, as the unary call does: one
 * envelope write per request and one decode per answer, without Connect's async-iterable
 * pipeline per message (the server measured ~50 µs of it per message; see sidecar-server's
 * docs/hot-path.md).
 */
export function createGrpcModelStreamInferCall(
  sessionManager: Http2SessionManager,
  authorization: Authorization | undefined,
): ModelStreamInferCall {
  return async (requests, signal, onResponse) => {
    if (signal.aborted) throw abortError(signal);
    const headers = grpcRequestHeaders();
    if (authorization !== undefined) headers.authorization = await authorization();
    const stream: ClientHttp2Stream = await sessionManager.request("POST", PATH, headers, {});
    return new Promise<void>((resolve, reject) => {
      const reader = createEnvelopeReader();
      let responseHeaders: ReceivedHeaders = {};
      let trailers: ReceivedHeaders | undefined;
      let settled = false;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        if (!stream.closed) {
          stream.close(error === undefined ? constants.NGHTTP2_NO_ERROR : constants.NGHTTP2_CANCEL);
        }
        if (error === undefined) resolve();
        else reject(error);
      };
      function onAbort() {
        finish(abortError(signal));
      }
      signal.addEventListener("abort", onAbort);
      stream.on("response", (h) => {
        responseHeaders = h;
      });
      stream.on("trailers", (t) => {
        trailers = t;
      });
      stream.on("data", (chunk: Buffer) => {
        sessionManager.notifyResponseByteRead(stream);
        if (settled) return;
        const messages = reader.push(chunk);
        if (messages instanceof ConnectError) {
          finish(messages);
          return;
        }
        for (const message of messages) {
          let response: ModelStreamInferResponse;
          try {
            response = fromBinary(ModelStreamInferResponseSchema, message);
          } catch (error) {
            finish(
              new ConnectError(
                `parse binary: ${error instanceof Error ? error.message : String(error)}`,
                Code.Internal,
              ),
            );
            return;
          }
          onResponse(response);
          if (settled) return;
        }
      });
      stream.on("error", (error) => finish(streamFailure(stream, error)));
      // The call is over when the server ends its side (trailers, or a trailers-only answer),
      // even while this side could still write: a server that fails the call early (too large
      // a message, no token) ends it so. A reset without trailers ends it in `close`.
      const conclude = () => {
        if (settled) return;
        const reset = resetError(stream.rstCode ?? 0);
        if (reset !== undefined && trailers === undefined) {
          finish(reset);
          return;
        }
        const failed = callStatusError(responseHeaders, trailers);
        if (failed !== undefined) finish(failed);
        else if (reader.pending > 0) {
          finish(new ConnectError("protocol error: premature end of stream", Code.Internal));
        } else finish();
      };
      stream.on("end", conclude);
      stream.on("close", conclude);
      void (async () => {
        try {
          for await (const request of requests) {
            if (settled || stream.closed) break;
            const envelope = encodeGrpcEnvelope(toBinary(ModelInferRequestSchema, request));
            // HTTP/2 flow control: wait until the server takes more, as Connect's writer does.
            if (!stream.write(envelope)) await drainedOrClosed(stream);
          }
          if (!stream.closed) stream.end();
        } catch (error) {
          finish(error);
        }
      })();
    });
  };
}

import type { ServerHttp2Stream } from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  createEnvelopeReader,
  encodeStreamInferResponseEnvelope,
  formatStreamError,
  type ModelInferRequest,
  ModelInferRequestSchema,
  SidecarError,
  type StreamInferResponseFields,
} from "@gpu-sidecar/sidecar-core";
import type { Context } from "@opentelemetry/api";
import type { ModelInferFunction } from "./grpc-model-infer.js";
import {
  errorTrailers,
  GRPC_OK_TRAILERS,
  GRPC_RESPONSE_HEADERS,
  sendError,
  writable,
} from "./grpc-response.js";
import type { RequestLog, RequestLogContext } from "./request-log.js";

/** What a hot-path call knows once its headers are checked. */
export interface GrpcCall {
  /** The `grpc-timeout` of the call, in milliseconds. */
  readonly timeoutMs: number | undefined;
  /** The caller's trace (`traceparent`), while tracing. */
  readonly trace: Context | undefined;
}

/** The status of a call whose deadline passed, as Connect words it. */
export function deadlineError(): ConnectError {
  return new ConnectError("the operation timed out", Code.DeadlineExceeded);
}

/**
 * `ModelStreamInfer` on node:http2's stream API, answering as the Connect service does: each
 * request of the stream is answered on its own, in the order answers complete, with its id; a
 * failed request answers with `error_message` (`CODE: message`) and the stream goes on. The
 * call's deadline and cancellation reach every request in flight (one signal per stream, not
 * one per request); a malformed message ends the call with the status Connect gives it. Unlike
 * Connect's handler it costs no async iterator, promise chain or envelope object per message.
 */
export function createGrpcModelStreamInfer(
  infer: ModelInferFunction,
  readMaxBytes: number,
  requestLog: RequestLog,
) {
  const logContext = (request: ModelInferRequest): RequestLogContext => ({
    protocol: "grpc",
    method: "ModelStreamInfer",
    model: request.modelName,
    version: request.modelVersion,
  });
  return (stream: ServerHttp2Stream, call: GrpcCall): void => {
    const { timeoutMs, trace } = call;
    const controller = new AbortController();
    const reader = createEnvelopeReader(readMaxBytes);
    const startedAt = performance.now();
    let pending = 0;
    let inputEnded = false;
    let finished = false;
    let responded = false;
    /** The trailers that end the call once answers have been sent: OK unless it failed. */
    let trailers: Record<string, string> = GRPC_OK_TRAILERS;

    const finish = (outcome?: ConnectError) => {
      if (finished) return;
      finished = true;
      // Answered after the deadline (the timer, 1 ms at the least, may not have fired yet).
      const error =
        outcome === undefined &&
        timeoutMs !== undefined &&
        performance.now() - startedAt >= timeoutMs
          ? deadlineError()
          : outcome;
      if (deadline !== undefined) clearTimeout(deadline);
      if (error !== undefined) {
        controller.abort(error);
        if (!responded) {
          sendError(stream, error);
          return;
        }
        // Headers are out and their one `wantTrailers` handler sends `trailers`: a second
        // handler would send trailers twice, which throws and took the process down.
        trailers = errorTrailers(error);
        if (writable(stream)) stream.end();
        return;
      }
      if (!writable(stream)) return;
      if (!responded) {
        stream.respond({ ...GRPC_RESPONSE_HEADERS, ...GRPC_OK_TRAILERS }, { endStream: true });
        return;
      }
      stream.end();
    };
    const deadline =
      timeoutMs === undefined ? undefined : setTimeout(() => finish(deadlineError()), timeoutMs);

    const write = (response: StreamInferResponseFields) => {
      if (finished || !writable(stream)) return;
      if (!responded) {
        responded = true;
        stream.respond(GRPC_RESPONSE_HEADERS, { waitForTrailers: true });
        stream.once("wantTrailers", () => {
          if (writable(stream) && !stream.sentTrailers) stream.sendTrailers(trailers);
        });
      }
      const envelope = encodeStreamInferResponseEnvelope(response);
      // A reader that does not keep up stops this stream's input, so answers cannot pile up.
      if (!stream.write(envelope)) {
        stream.pause();
        stream.once("drain", () => stream.resume());
      }
    };

    const answer = (request: ModelInferRequest) => {
      pending++;
      const requestStartedAt = requestLog.accessEnabled ? performance.now() : 0;
      const remainingMs =
        timeoutMs === undefined ? undefined : timeoutMs - (performance.now() - startedAt);
      let result: ReturnType<ModelInferFunction>;
      try {
        result = infer(request, remainingMs, controller.signal, trace);
      } catch (error) {
        result = Promise.reject(error);
      }
      result.then(
        (inferResponse) => {
          pending--;
          if (requestStartedAt !== 0) {
            requestLog.access(logContext(request), "OK", performance.now() - requestStartedAt);
          }
          write({ inferResponse });
          if (inputEnded && pending === 0) finish();
        },
        (reason: unknown) => {
          pending--;
          const error = SidecarError.from(reason);
          requestLog.failed(logContext(request), error);
          write({
            errorMessage: formatStreamError(error.code, error.message),
            // The id lets a client with many requests in flight tell which one failed.
            inferResponse: {
              modelName: request.modelName,
              modelVersion: request.modelVersion,
              id: request.id,
            },
          });
          if (inputEnded && pending === 0) finish();
        },
      );
    };

    stream.once("close", () => {
      if (finished) return;
      finished = true;
      if (deadline !== undefined) clearTimeout(deadline);
      controller.abort(new ConnectError("operation was aborted via signal", Code.Canceled));
    });
    stream.on("error", () => {
      // A reset or broken stream ends in `close`, which cancels the requests in flight.
    });
    stream.on("data", (chunk: Buffer) => {
      if (finished) return;
      const messages = reader.push(chunk);
      if (messages instanceof ConnectError) {
        finish(messages);
        return;
      }
      for (const message of messages) {
        let request: ModelInferRequest;
        try {
          request = fromBinary(ModelInferRequestSchema, message);
        } catch (error) {
          finish(
            new ConnectError(
              `parse binary: ${error instanceof Error ? error.message : String(error)}`,
              Code.InvalidArgument,
            ),
          );
          return;
        }
        answer(request);
      }
    });
    stream.once("end", () => {
      inputEnded = true;
      if (finished) return;
      if (reader.pending > 0) {
        finish(new ConnectError("protocol error: premature end of stream", Code.InvalidArgument));
        return;
      }
      if (pending === 0) finish();
    });
  };
}

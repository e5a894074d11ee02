import {
  ErrorCode,
  type ModelInferRequest,
  type ModelStreamInferResponse,
  SidecarError,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import { checkInferOptions, type InferOptions } from "./call-options.js";
import type { EndpointConnection } from "./endpoint-connection.js";
import { type EndpointSet, pickConnection } from "./failover.js";
import { createInferRequest } from "./infer-request.js";
import { readInferResponse } from "./infer-response.js";
import { createRequestChannel, type RequestChannel } from "./request-channel.js";
import { streamError } from "./stream-error.js";
import { toSidecarError } from "./to-sidecar-error.js";

/**
 * Inference over one long `ModelStreamInfer` stream: many requests share one HTTP/2 stream,
 * each matched to its response by `id`. The cheap path at high request rates.
 */
export interface StreamSession {
  readonly model: string;
  /**
   * One inference, as `SidecarClient.infer`. A stream cannot cancel one of its requests on
   * the wire: `signal` and `timeoutMs` settle the call here at once, and the server drops the
   * request only when its `timeout` parameter (sent from `timeoutMs`) expires.
   */
  infer(inputs: readonly Tensor[], options?: InferOptions): Promise<Tensor[]>;
  /** Fails pending requests with CANCELLED and ends the stream. Idempotent and awaitable. */
  close(): Promise<void>;
}

interface Pending {
  resolve(outputs: Tensor[]): void;
  reject(error: SidecarError): void;
}

/** One opened stream; a session opens the next one when this one fails. */
interface OpenStream {
  readonly connection: EndpointConnection;
  readonly requests: RequestChannel<ModelInferRequest>;
  readonly pending: Map<string, Pending>;
  readonly controller: AbortController;
  readonly done: Promise<void>;
  /** This side ended the stream (the session moved elsewhere): the server's end is expected. */
  halfClosed: boolean;
}

function dispatch(stream: OpenStream, response: ModelStreamInferResponse): void {
  const source = stream.connection.state.url;
  const id = response.inferResponse?.id ?? "";
  if (response.errorMessage !== "") {
    const error = streamError(response.errorMessage, source);
    if (id !== "") {
      stream.pending.get(id)?.reject(error);
      return;
    }
    // A server that does not echo the id of a failed request leaves no way to tell which one
    // failed. Failing all pending ones lets them be retried; leaving them would hang the
    // guilty one until its deadline, forever if it has none.
    for (const pending of [...stream.pending.values()]) pending.reject(error);
    return;
  }
  // No entry: the request was abandoned (aborted or timed out) before its answer came.
  const pending = stream.pending.get(id);
  if (pending === undefined || response.inferResponse === undefined) return;
  try {
    pending.resolve(readInferResponse(response.inferResponse, source));
  } catch (error) {
    pending.reject(SidecarError.from(error));
  }
}

/** Called by the client, which owns the endpoints and closes its sessions when it closes. */
export function createStreamSession(
  endpoints: EndpointSet,
  model: string,
  onClose: (session: StreamSession) => void,
): StreamSession {
  /** Where new requests go. */
  let current: OpenStream | undefined;
  /** Every stream not ended yet: `current` and half-closed ones still answering. */
  const streams = new Set<OpenStream>();
  let lastId = 0;
  let closed: Promise<void> | undefined;

  async function read(stream: OpenStream): Promise<void> {
    const { connection, requests, controller } = stream;
    const what = `ModelStreamInfer on ${connection.state.url}`;
    let failure: SidecarError;
    /** Whether the way the stream ended says its endpoint cannot take requests now. */
    let endpointDown = false;
    try {
      await connection.modelStreamInfer(requests, controller.signal, (response) =>
        dispatch(stream, response),
      );
      // Only close() ends a session's stream: a server that ends it with OK while requests are
      // pending is going away (or refuses streams), and each of them is safe to send again. An
      // idle stream ended so (an idle timeout) says nothing of the endpoint.
      failure = new SidecarError(ErrorCode.Unavailable, `${what}: the server ended the stream`);
      endpointDown = stream.pending.size > 0;
    } catch (reason) {
      failure = toSidecarError(reason, what, controller.signal.aborted);
      endpointDown = failure.code === ErrorCode.Unavailable;
    }
    if (endpointDown && !stream.halfClosed) {
      // Marked down at once, as a failed unary call marks it: the operator's retry of these
      // requests then goes to another endpoint instead of a new stream on this one.
      connection.markUnavailable(failure);
    } else if (failure.code === ErrorCode.Unimplemented) {
      failure = new SidecarError(
        ErrorCode.Unimplemented,
        `${failure.message} (the server does not offer ModelStreamInfer streams: use client.infer, one ModelInfer per call, instead of a stream session)`,
        { cause: failure.cause },
      );
    }
    // Only this stream's requests fail; the next call opens a new stream, on the endpoint
    // the router picks then.
    if (current === stream) current = undefined;
    streams.delete(stream);
    requests.end();
    for (const pending of [...stream.pending.values()]) pending.reject(failure);
  }

  function open(connection: EndpointConnection): OpenStream {
    const stream: { -readonly [K in keyof OpenStream]: OpenStream[K] } = {
      connection,
      requests: createRequestChannel(),
      pending: new Map(),
      controller: new AbortController(),
      done: Promise.resolve(),
      halfClosed: false,
    };
    streams.add(stream);
    stream.done = read(stream);
    return stream;
  }

  /**
   * The stream for the next request: the open one while its endpoint is healthy. Once health
   * says the endpoint is draining or gone, the router picks again; if it picks elsewhere, the
   * old stream is half-closed (the server still answers what it holds, then ends it) and new
   * requests go to a stream on the new endpoint, instead of failing one by one on the old.
   */
  function streamForNextRequest(): OpenStream {
    if (current !== undefined) {
      const { status } = current.connection.state;
      if (status === "serving" || status === "connecting") return current;
    }
    const route = { method: "ModelStreamInfer", model } as const;
    const connection = pickConnection(endpoints, endpoints.states, route);
    if (connection === undefined) {
      throw new SidecarError(
        ErrorCode.Unavailable,
        `ModelStreamInfer: the router picked none of ${endpoints.states.map((s) => s.url).join(", ")}`,
      );
    }
    if (current?.connection === connection) return current;
    if (current !== undefined) {
      current.halfClosed = true;
      current.requests.end();
    }
    current = open(connection);
    return current;
  }

  const session: StreamSession = {
    model,
    infer(inputs, options = {}) {
      try {
        checkInferOptions("StreamSession.infer", options);
        if (closed !== undefined) {
          throw new SidecarError(
            ErrorCode.FailedPrecondition,
            `StreamSession.infer: the session for model ${JSON.stringify(model)} is closed`,
          );
        }
        const { signal, timeoutMs } = options;
        if (signal?.aborted) {
          throw new SidecarError(
            ErrorCode.Cancelled,
            "StreamSession.infer: cancelled by options.signal",
          );
        }
        lastId += 1;
        const id = String(lastId);
        const request = createInferRequest(model, inputs, options, id);
        const stream = streamForNextRequest();
        return new Promise<Tensor[]>((resolve, reject) => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const onAbort = () =>
            pending.reject(
              new SidecarError(
                ErrorCode.Cancelled,
                "StreamSession.infer: cancelled by options.signal",
              ),
            );
          const settled = () => {
            stream.pending.delete(id);
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
          };
          const pending: Pending = {
            resolve(outputs) {
              settled();
              resolve(outputs);
            },
            reject(error) {
              settled();
              reject(error);
            },
          };
          stream.pending.set(id, pending);
          signal?.addEventListener("abort", onAbort);
          if (timeoutMs !== undefined) {
            timer = setTimeout(
              () =>
                pending.reject(
                  new SidecarError(
                    ErrorCode.DeadlineExceeded,
                    `StreamSession.infer: no answer within ${timeoutMs} ms`,
                  ),
                ),
              timeoutMs,
            );
          }
          stream.requests.push(request);
        });
      } catch (error) {
        return Promise.reject(error);
      }
    },
    close() {
      closed ??= (async () => {
        current = undefined;
        onClose(session);
        const error = new SidecarError(
          ErrorCode.Cancelled,
          `StreamSession: the session for model ${JSON.stringify(model)} was closed`,
        );
        const open = [...streams];
        for (const stream of open) {
          for (const pending of [...stream.pending.values()]) pending.reject(error);
          stream.controller.abort();
        }
        await Promise.all(open.map((stream) => stream.done));
      })();
      return closed;
    },
  };
  return session;
}

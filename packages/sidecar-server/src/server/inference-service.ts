import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  ErrorCode,
  formatStreamError,
  type GRPCInferenceService,
  type Lifecycle,
  type ModelInferRequest,
  type ModelStreamInferResponseSchema,
  SidecarError,
} from "@gpu-sidecar/sidecar-core";
import { traceParentOf } from "../tracing/trace-parent.js";
import { toConnectError } from "./error-status.js";
import { decodeInferRequest, encodeInferResponse } from "./grpc-infer-codec.js";
import type { ModelInferFunction } from "./grpc-model-infer.js";
import { deadlineError } from "./grpc-model-stream-infer.js";
import { configMessage } from "./model-config-view.js";
import type { ModelManager } from "./model-manager.js";
import { metadataMessage, statisticsMessage } from "./model-views.js";
import type { RequestLog, RequestLogContext } from "./request-log.js";
import { SERVER_EXTENSIONS, SERVER_NAME, SERVER_VERSION } from "./server-info.js";

type StreamResponseInit = MessageInitShape<typeof ModelStreamInferResponseSchema>;

export interface InferenceServiceOptions {
  readonly manager: ModelManager;
  readonly lifecycle: Lifecycle;
  readonly requestLog: RequestLog;
}

/** The model a request message names, whichever field names it. */
function grpcContext(method: string, request: unknown): RequestLogContext {
  const message = request as {
    modelName?: string;
    modelVersion?: string;
    name?: string;
    version?: string;
  };
  return {
    protocol: "grpc",
    method,
    model: message.modelName ?? message.name,
    version: message.modelVersion ?? message.version,
  };
}

/**
 * One ModelInfer, for the Connect service and the plain-gRPC fast path alike. A model whose
 * queue is full (or that is draining) refuses before the request is decoded into tensors.
 */
export function createModelInfer(manager: ModelManager): ModelInferFunction {
  return async (request, deadlineMs, signal, trace) => {
    const startedAt = deadlineMs === undefined ? 0 : performance.now();
    const served = manager.acquire(request.modelName, request.modelVersion);
    const refused = served.admissionError();
    if (refused !== undefined) throw refused;
    const outputs = await served.infer(decodeInferRequest(request, deadlineMs, signal, trace));
    // Outputs ready after the deadline are no answer: the caller has given up. With
    // `grpc-timeout: 1n` the deadline has passed on arrival, yet the deadline timers (1 ms at
    // the least) can lose the race to a fast model.
    if (deadlineMs !== undefined && performance.now() - startedAt >= deadlineMs) {
      throw new SidecarError(
        ErrorCode.DeadlineExceeded,
        `the deadline of the call (${deadlineMs} ms) passed before the answer was ready`,
      );
    }
    return encodeInferResponse(served, request.id, outputs);
  };
}

/** `inference.GRPCInferenceService` over the model manager (Triton's shared-memory RPCs are left unimplemented). */
export function createInferenceService(
  options: InferenceServiceOptions,
): ServiceImpl<typeof GRPCInferenceService> {
  const { manager, lifecycle, requestLog } = options;
  const modelInfer = createModelInfer(manager);

  /** Runs a unary handler, logging a failure and turning it into the gRPC status of its code. */
  function unary<I, O>(
    method: string,
    handler: (request: I, context: HandlerContext) => O | Promise<O>,
  ): (request: I, context: HandlerContext) => Promise<O> {
    return async (request, context) => {
      const startedAt = requestLog.accessEnabled ? performance.now() : 0;
      try {
        const response = await handler(request, context);
        if (startedAt !== 0) {
          requestLog.access(grpcContext(method, request), "OK", performance.now() - startedAt);
        }
        return response;
      } catch (error) {
        requestLog.failed(grpcContext(method, request), error);
        throw toConnectError(error);
      }
    };
  }

  function infer(request: ModelInferRequest, context: HandlerContext) {
    const trace = traceParentOf((name) => context.requestHeader.get(name));
    return modelInfer(request, context.timeoutMs(), context.signal, trace);
  }

  /** A stream request's answer; a failure answers that request alone, the stream goes on. */
  async function answer(
    request: ModelInferRequest,
    context: HandlerContext,
  ): Promise<StreamResponseInit> {
    const startedAt = requestLog.accessEnabled ? performance.now() : 0;
    try {
      const inferResponse = await infer(request, context);
      if (startedAt !== 0) {
        requestLog.access(
          grpcContext("ModelStreamInfer", request),
          "OK",
          performance.now() - startedAt,
        );
      }
      return { inferResponse };
    } catch (error) {
      const failure = SidecarError.from(error);
      requestLog.failed(grpcContext("ModelStreamInfer", request), failure);
      return {
        errorMessage: formatStreamError(failure.code, failure.message),
        // The id lets a client with many requests in flight tell which one failed.
        inferResponse: {
          modelName: request.modelName,
          modelVersion: request.modelVersion,
          id: request.id,
        },
      };
    }
  }

  return {
    serverLive: unary("ServerLive", () => ({ live: lifecycle.live })),
    serverReady: unary("ServerReady", () => ({ ready: lifecycle.ready })),
    modelReady: unary("ModelReady", (request) => ({
      ready: manager.isReady(request.name, request.version),
    })),
    serverMetadata: unary("ServerMetadata", () => ({
      name: SERVER_NAME,
      version: SERVER_VERSION,
      extensions: [...SERVER_EXTENSIONS],
    })),
    modelMetadata: unary("ModelMetadata", (request) =>
      metadataMessage(
        manager.find(request.name, request.version),
        manager.versionsOf(request.name),
      ),
    ),
    modelConfig: unary("ModelConfig", (request) => ({
      config: configMessage(manager.find(request.name, request.version)),
    })),
    modelInfer: unary("ModelInfer", infer),

    /**
     * Requests of one stream are answered independently and concurrently, in the order they
     * complete (each answer carries its request's id), so that a stream's requests share
     * batches with each other and with everyone else's.
     */
    async *modelStreamInfer(requests, context) {
      let done: StreamResponseInit[] = [];
      let pending = 0;
      let inputEnded = false;
      let inputError: unknown;
      let wake: (() => void) | undefined;
      const notify = () => {
        const resolve = wake;
        wake = undefined;
        resolve?.();
      };
      const deliver = (response: StreamResponseInit) => {
        pending--;
        done.push(response);
        notify();
      };
      // The call's deadline (or its cancellation) ends the call, as on the hot path; the
      // requests in flight fail by the same signal.
      context.signal.addEventListener("abort", notify, { once: true });
      void (async () => {
        try {
          for await (const request of requests) {
            pending++;
            void answer(request, context).then(deliver);
          }
        } catch (error) {
          inputError = error;
        } finally {
          inputEnded = true;
          notify();
        }
      })();
      for (;;) {
        if (done.length > 0) {
          const batch = done;
          done = [];
          yield* batch;
          continue;
        }
        if (context.signal.aborted) throw toConnectError(context.signal.reason);
        if (inputError !== undefined) throw toConnectError(inputError);
        if (inputEnded && pending === 0) {
          const remainingMs = context.timeoutMs();
          if (remainingMs !== undefined && remainingMs <= 0) throw deadlineError();
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },

    modelStatistics: unary("ModelStatistics", (request) => ({
      modelStats: manager.statistics(request.name, request.version).map(statisticsMessage),
    })),
    repositoryIndex: unary("RepositoryIndex", async (request) => ({
      models: (await manager.index()).filter((entry) => !request.ready || entry.state === "READY"),
    })),
    repositoryModelLoad: unary("RepositoryModelLoad", async (request) => {
      await manager.load(request.modelName, Object.keys(request.parameters));
      return {};
    }),
    repositoryModelUnload: unary("RepositoryModelUnload", async (request) => {
      await manager.unload(request.modelName);
      return {};
    }),
  };
}

import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  formatStreamError,
  type GRPCInferenceService,
  type Lifecycle,
  type ModelInferRequest,
  type ModelStreamInferResponseSchema,
  SidecarError,
} from "@gpu-sidecar/sidecar-core";
import { toConnectError } from "./error-status.js";
import { decodeInferRequest, encodeInferResponse } from "./grpc-infer-codec.js";
import type { ModelInferFunction } from "./grpc-model-infer.js";
import type { ModelManager } from "./model-manager.js";
import { metadataMessage, statisticsMessage } from "./model-views.js";
import { SERVER_EXTENSIONS, SERVER_NAME, SERVER_VERSION } from "./server-info.js";

type StreamResponseInit = MessageInitShape<typeof ModelStreamInferResponseSchema>;

export interface InferenceServiceOptions {
  readonly manager: ModelManager;
  readonly lifecycle: Lifecycle;
}

/** Runs a unary handler, turning whatever it throws into the gRPC status of its code. */
function unary<I, O>(
  handler: (request: I, context: HandlerContext) => O | Promise<O>,
): (request: I, context: HandlerContext) => Promise<O> {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (error) {
      throw toConnectError(error);
    }
  };
}

/**
 * One ModelInfer, for the Connect service and the plain-gRPC fast path alike. A model whose
 * queue is full (or that is draining) refuses before the request is decoded into tensors.
 */
export function createModelInfer(manager: ModelManager): ModelInferFunction {
  return async (request, deadlineMs, signal) => {
    const served = manager.acquire(request.modelName, request.modelVersion);
    const refused = served.admissionError();
    if (refused !== undefined) throw refused;
    const outputs = await served.infer(decodeInferRequest(request, deadlineMs, signal));
    return encodeInferResponse(served, request.id, outputs);
  };
}

/** `inference.GRPCInferenceService` over the model manager (Triton's ModelConfig and shared-memory RPCs are left unimplemented). */
export function createInferenceService(
  options: InferenceServiceOptions,
): ServiceImpl<typeof GRPCInferenceService> {
  const { manager, lifecycle } = options;
  const modelInfer = createModelInfer(manager);

  function infer(request: ModelInferRequest, context: HandlerContext) {
    return modelInfer(request, context.timeoutMs(), context.signal);
  }

  /** A stream request's answer; a failure answers that request alone, the stream goes on. */
  async function answer(
    request: ModelInferRequest,
    context: HandlerContext,
  ): Promise<StreamResponseInit> {
    try {
      return { inferResponse: await infer(request, context) };
    } catch (error) {
      const failure = SidecarError.from(error);
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
    serverLive: unary(() => ({ live: lifecycle.live })),
    serverReady: unary(() => ({ ready: lifecycle.ready })),
    modelReady: unary((request) => ({ ready: manager.isReady(request.name, request.version) })),
    serverMetadata: unary(() => ({
      name: SERVER_NAME,
      version: SERVER_VERSION,
      extensions: [...SERVER_EXTENSIONS],
    })),
    modelMetadata: unary((request) =>
      metadataMessage(
        manager.find(request.name, request.version),
        manager.versionsOf(request.name),
      ),
    ),
    modelInfer: unary(infer),

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
        if (inputError !== undefined) throw toConnectError(inputError);
        if (inputEnded && pending === 0) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },

    modelStatistics: unary((request) => ({
      modelStats: manager.statistics(request.name, request.version).map(statisticsMessage),
    })),
    repositoryIndex: unary(async (request) => ({
      models: (await manager.index()).filter((entry) => !request.ready || entry.state === "READY"),
    })),
    repositoryModelLoad: unary(async (request) => {
      await manager.load(request.modelName, Object.keys(request.parameters));
      return {};
    }),
    repositoryModelUnload: unary(async (request) => {
      await manager.unload(request.modelName);
      return {};
    }),
  };
}

import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createRouterTransport,
  type HandlerContext,
  type Interceptor,
  type ServiceImpl,
  type Transport,
} from "@connectrpc/connect";
import {
  createHealthService,
  createLifecycle,
  encodeTensor,
  GRPCInferenceService,
  Health,
  type Lifecycle,
  LifecycleState,
  type ModelInferRequest,
  type ModelInferResponse,
  ModelInferResponseSchema,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";

export const MODEL = "echo";

/** What the fake answers to one `ModelInfer`: by default every input back, renamed `y<i>`. */
export type FakeInfer = (
  request: ModelInferRequest,
  context: HandlerContext,
) => Promise<ModelInferResponse> | ModelInferResponse;

export function echoResponse(request: ModelInferRequest): ModelInferResponse {
  return create(ModelInferResponseSchema, {
    modelName: request.modelName,
    id: request.id,
    outputs: request.inputs.map((input, index) => ({
      name: `y${index}`,
      datatype: input.datatype,
      shape: input.shape,
    })),
    rawOutputContents: request.rawInputContents,
  });
}

/**
 * An Open Inference Protocol server in memory: the real health service over a real lifecycle,
 * an `echo` model, and switches to make it fail the way a dead or draining sidecar does.
 */
export interface FakeSidecar {
  readonly transport: Transport;
  readonly lifecycle: Lifecycle;
  /** Every `ModelInfer` request received, and the context it ran in. */
  readonly inferCalls: { request: ModelInferRequest; context: HandlerContext }[];
  /** Every request received on `ModelStreamInfer` streams. */
  readonly streamRequests: ModelInferRequest[];
  /** Streams opened so far. */
  streamsOpened: number;
  /** Health watches currently open. */
  openWatches: number;
  infer: FakeInfer;
  /** Answers a stream request; by default the echo, at once. Return undefined to hold it. */
  streamAnswer: (request: ModelInferRequest) => ModelInferResponse | undefined;
  /** While set, every call is refused with UNAVAILABLE, as by a sidecar that is not there. */
  down: boolean;
  /** Ends every open watch and stream with UNAVAILABLE, as a connection breaking does. */
  breakConnections(): void;
  /** Sends a stream response on every open stream. */
  pushStreamResponse(response: { errorMessage?: string; inferResponse?: ModelInferResponse }): void;
}

export interface FakeSidecarOptions {
  /** Leave out Health.Watch (as Triton does): watch answers UNIMPLEMENTED. */
  readonly withoutWatch?: boolean;
  /** Start in STARTING instead of SERVING. */
  readonly starting?: boolean;
  /** Client-side interceptors, e.g. to make the transport itself fail. */
  readonly clientInterceptors?: Interceptor[];
}

export function createFakeSidecar(options: FakeSidecarOptions = {}): FakeSidecar {
  const lifecycle = createLifecycle({ models: [MODEL] });
  lifecycle.setModelReady(MODEL, true);
  if (options.starting !== true) lifecycle.transition(LifecycleState.Serving);
  const health = createHealthService(lifecycle);
  let broken = new AbortController();
  const streamListeners = new Set<
    (response: { errorMessage?: string; inferResponse?: ModelInferResponse }) => void
  >();

  const inference: Partial<ServiceImpl<typeof GRPCInferenceService>> = {
    serverLive: () => ({ live: lifecycle.live }),
    serverReady: () => ({ ready: lifecycle.ready }),
    modelReady: (request) => ({ ready: lifecycle.isModelReady(request.name) && lifecycle.ready }),
    modelMetadata: (request) => {
      if (request.name !== MODEL)
        throw new ConnectError(`unknown model ${request.name}`, Code.NotFound);
      return {
        name: MODEL,
        versions: ["1"],
        platform: "fake",
        inputs: [{ name: "x", datatype: "FP32", shape: [-1n, 4n] }],
        outputs: [{ name: "y0", datatype: "FP32", shape: [-1n, 4n] }],
      };
    },
    modelStatistics: (request) => ({
      modelStats:
        request.name === "" || request.name === MODEL
          ? [
              {
                name: MODEL,
                version: "1",
                inferenceCount: BigInt(fake.inferCalls.length),
                executionCount: BigInt(fake.inferCalls.length),
                inferenceStats: {
                  success: { count: BigInt(fake.inferCalls.length), ns: 5_000n },
                  queue: { count: BigInt(fake.inferCalls.length), ns: 1_000n },
                },
              },
            ]
          : [],
    }),
    modelInfer: (request, context) => {
      fake.inferCalls.push({ request, context });
      return fake.infer(request, context);
    },
    async *modelStreamInfer(requests, context) {
      fake.streamsOpened += 1;
      const signal = AbortSignal.any([context.signal, broken.signal]);
      // Responses to send, fed by the request reader and by pushStreamResponse.
      const outbox: { errorMessage?: string; inferResponse?: ModelInferResponse }[] = [];
      let wake: (() => void) | undefined;
      const push = (response: { errorMessage?: string; inferResponse?: ModelInferResponse }) => {
        outbox.push(response);
        wake?.();
      };
      streamListeners.add(push);
      const onBreak = () => wake?.();
      signal.addEventListener("abort", onBreak);
      void (async () => {
        for await (const request of requests) {
          fake.streamRequests.push(request);
          const answer = fake.streamAnswer(request);
          if (answer !== undefined) push({ inferResponse: answer });
        }
      })().catch(() => {});
      try {
        for (;;) {
          while (outbox.length > 0) yield outbox.shift() ?? {};
          if (signal.aborted) throw new ConnectError("connection broke", Code.Unavailable);
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      } finally {
        streamListeners.delete(push);
        signal.removeEventListener("abort", onBreak);
      }
    },
  };

  const healthImpl: ServiceImpl<typeof Health> = {
    check: health.check,
    async *watch(request, context) {
      if (options.withoutWatch === true) {
        throw new ConnectError("Watch is not implemented", Code.Unimplemented);
      }
      const signal = AbortSignal.any([context.signal, broken.signal]);
      fake.openWatches += 1;
      try {
        yield* health.watch(request, { ...context, signal });
      } finally {
        fake.openWatches -= 1;
      }
      if (broken.signal.aborted || signal.aborted) {
        throw new ConnectError("connection broke", Code.Unavailable);
      }
    },
  };

  const refuseWhenDown: Interceptor = (next) => async (request) => {
    if (fake.down) throw new ConnectError("connect ECONNREFUSED", Code.Unavailable);
    return next(request);
  };

  const fake: FakeSidecar = {
    transport: createRouterTransport(
      (router) => {
        router.service(GRPCInferenceService, inference);
        router.service(Health, healthImpl);
      },
      {
        router: { interceptors: [refuseWhenDown] },
        transport: { interceptors: options.clientInterceptors ?? [] },
      },
    ),
    lifecycle,
    inferCalls: [],
    streamRequests: [],
    streamsOpened: 0,
    openWatches: 0,
    infer: echoResponse,
    streamAnswer: echoResponse,
    down: false,
    breakConnections() {
      broken.abort();
      broken = new AbortController();
    },
    pushStreamResponse(response) {
      for (const listener of streamListeners) listener(response);
    },
  };

  return fake;
}

export function fp32(name: string, shape: number[], values: number[]): Tensor {
  return encodeTensor({ name, datatype: "FP32", shape, values });
}

/** Resolves once `condition` holds, checking between macrotasks; fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not reached in time");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

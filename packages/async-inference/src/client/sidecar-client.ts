import { ErrorCode, SidecarError, type Tensor } from "@gpu-sidecar/sidecar-core";
import { createAuthorizedTransport } from "./authorized-transport.js";
import {
  type CallOptions,
  checkCallOptions,
  checkInferOptions,
  checkModelName,
  type InferOptions,
} from "./call-options.js";
import { createCallSignals } from "./call-signals.js";
import { EndpointChanges, type WatchEndpointsOptions } from "./endpoint-changes.js";
import { createEndpointConnection, type EndpointConnection } from "./endpoint-connection.js";
import type { EndpointState } from "./endpoint-state.js";
import { createEndpointTransport } from "./endpoint-transport.js";
import { callWithFailover, type EndpointSet } from "./failover.js";
import { createInferRequest, setTimeoutParameter } from "./infer-request.js";
import { readInferResponse } from "./infer-response.js";
import { type ModelMetadata, readModelMetadata } from "./model-metadata.js";
import { type ModelStatistics, readModelStatistics } from "./model-statistics.js";
import type { RouteRequest } from "./router.js";
import { resolveClientOptions, type SidecarClientOptions } from "./sidecar-client-options.js";
import { createStreamSession, type StreamSession } from "./stream-session.js";

/** Options of calls about one model version. */
export interface ModelCallOptions extends CallOptions {
  /** Default: the server's default version. */
  readonly version?: string;
}

/**
 * A client of one or more Open Inference Protocol servers (gpu-sidecar, Triton, KServe).
 * Every call goes to the endpoint the router picks and fails over to the next one on
 * UNAVAILABLE. Errors are `SidecarError`s.
 */
export interface SidecarClient {
  /**
   * One `ModelInfer`. Inputs are sent as they are (`raw_input_contents`); outputs come back
   * in the server's order. The signature fits the stream operator's `infer` option:
   * `infer: (inputs, context) => client.infer("fraud", inputs, context)`.
   */
  infer(model: string, inputs: readonly Tensor[], options?: InferOptions): Promise<Tensor[]>;
  /** The model's inputs and outputs (`ModelMetadata`). */
  modelMetadata(model: string, options?: ModelCallOptions): Promise<ModelMetadata>;
  /** `ModelReady` for a model, `ServerReady` without one. */
  ready(model?: string, options?: ModelCallOptions): Promise<boolean>;
  /** `ServerLive`. */
  live(options?: CallOptions): Promise<boolean>;
  /**
   * `ModelStatistics` of one model (every version, or `options.version`), or of every loaded
   * model when `model` is omitted.
   */
  modelStatistics(model?: string, options?: ModelCallOptions): Promise<ModelStatistics[]>;
  /** Inference over one long `ModelStreamInfer` stream; closed with the client. */
  createStreamSession(model: string): StreamSession;
  /** Every endpoint with its current health, in configuration order. */
  readonly endpoints: readonly EndpointState[];
  /**
   * The health watch as an async iterable: a snapshot of every endpoint at once, then one each
   * time an endpoint's status changes (a reader that falls behind gets each endpoint's latest
   * state once). Ends with `options.signal` or `close()`.
   */
  watchEndpoints(options?: WatchEndpointsOptions): AsyncIterable<EndpointState>;
  /**
   * Cancels calls in flight, closes stream sessions, ends health watches and closes the
   * connections. Idempotent; resolves when everything has stopped.
   */
  close(): Promise<void>;
}

function withTimeout(signal: AbortSignal, timeoutMs: number | undefined) {
  return timeoutMs === undefined ? { signal } : { signal, timeoutMs };
}

export function createSidecarClient(options: SidecarClientOptions): SidecarClient {
  const resolved = resolveClientOptions(options);
  const { createTransport, authorization } = resolved;
  const changes = new EndpointChanges();
  const connections: EndpointConnection[] = resolved.endpoints.map((address, index) => {
    const { transport, close, modelInfer, modelStreamInfer } =
      createTransport === undefined
        ? createEndpointTransport(address, resolved.protocol, resolved.connection, authorization)
        : {
            transport:
              authorization === undefined
                ? createTransport(address)
                : createAuthorizedTransport(createTransport(address), authorization),
            close: undefined,
            modelInfer: undefined,
            modelStreamInfer: undefined,
          };
    return createEndpointConnection({
      address,
      index,
      transport,
      modelInfer,
      modelStreamInfer,
      closeTransport: close,
      healthService: resolved.healthService,
      healthPollIntervalMs: resolved.healthPollIntervalMs,
      reconnect: resolved.reconnect,
      onChange: (state) => changes.notify(state),
    });
  });
  const states = connections.map((connection) => connection.state);
  const endpointSet: EndpointSet = {
    states,
    byState: new Map(connections.map((connection) => [connection.state, connection])),
    router: resolved.router,
  };
  // Aborted by close().
  const calls = createCallSignals();
  const sessions = new Set<StreamSession>();
  let closing: Promise<void> | undefined;

  function assertOpen(call: string): void {
    if (closing !== undefined) {
      throw new SidecarError(ErrorCode.FailedPrecondition, `${call}: the client is closed`);
    }
  }

  /**
   * A routed unary call. The deadline covers every failover attempt: each attempt gets the
   * time left, and none starts once it has passed.
   */
  async function unary<T>(
    call: string,
    route: RouteRequest,
    callOptions: CallOptions,
    run: (
      connection: EndpointConnection,
      signal: AbortSignal,
      timeoutMs: number | undefined,
    ) => Promise<T>,
  ): Promise<T> {
    assertOpen(call);
    if (callOptions.signal?.aborted === true) {
      throw new SidecarError(ErrorCode.Cancelled, `${call}: cancelled by options.signal`);
    }
    const deadline =
      callOptions.timeoutMs === undefined ? undefined : performance.now() + callOptions.timeoutMs;
    const { signal, release } = calls.open(callOptions.signal);
    try {
      return await callWithFailover(endpointSet, route, signal, (connection) => {
        if (deadline === undefined) return run(connection, signal, undefined);
        const left = deadline - performance.now();
        if (left <= 0) {
          throw new SidecarError(
            ErrorCode.DeadlineExceeded,
            `${call}: ${callOptions.timeoutMs} ms passed before ${connection.state.url} could be tried`,
          );
        }
        // Whole milliseconds: the Connect protocol rejects a fractional timeout header.
        return run(connection, signal, Math.ceil(left));
      });
    } finally {
      release();
    }
  }

  return {
    get endpoints() {
      return states;
    },

    async infer(model, inputs, inferOptions = {}) {
      checkModelName("infer", model);
      checkInferOptions("infer", inferOptions);
      const request = createInferRequest(model, inputs, inferOptions);
      return unary(
        "infer",
        { method: "ModelInfer", model },
        inferOptions,
        async (connection, signal, timeoutMs) => {
          if (timeoutMs !== undefined) setTimeoutParameter(request, timeoutMs);
          const response = await connection.modelInfer(request, signal, timeoutMs);
          return readInferResponse(response, connection.state.url);
        },
      );
    },

    async modelMetadata(model, callOptions = {}) {
      checkModelName("modelMetadata", model);
      checkCallOptions("modelMetadata", callOptions);
      return unary(
        "modelMetadata",
        { method: "ModelMetadata", model },
        callOptions,
        async (connection, signal, timeoutMs) => {
          const response = await connection.inference.modelMetadata(
            { name: model, version: callOptions.version ?? "" },
            withTimeout(signal, timeoutMs),
          );
          return readModelMetadata(response, connection.state.url);
        },
      );
    },

    async ready(model, callOptions = {}) {
      checkCallOptions("ready", callOptions);
      if (model === undefined) {
        return unary(
          "ready",
          { method: "ServerReady" },
          callOptions,
          async (connection, signal, timeoutMs) =>
            (await connection.inference.serverReady({}, withTimeout(signal, timeoutMs))).ready,
        );
      }
      checkModelName("ready", model);
      return unary(
        "ready",
        { method: "ModelReady", model },
        callOptions,
        async (connection, signal, timeoutMs) =>
          (
            await connection.inference.modelReady(
              { name: model, version: callOptions.version ?? "" },
              withTimeout(signal, timeoutMs),
            )
          ).ready,
      );
    },

    async live(callOptions = {}) {
      checkCallOptions("live", callOptions);
      return unary(
        "live",
        { method: "ServerLive" },
        callOptions,
        async (connection, signal, timeoutMs) =>
          (await connection.inference.serverLive({}, withTimeout(signal, timeoutMs))).live,
      );
    },

    async modelStatistics(model, callOptions = {}) {
      if (model !== undefined) checkModelName("modelStatistics", model);
      checkCallOptions("modelStatistics", callOptions);
      const route: RouteRequest =
        model === undefined ? { method: "ModelStatistics" } : { method: "ModelStatistics", model };
      return unary("modelStatistics", route, callOptions, async (connection, signal, timeoutMs) =>
        readModelStatistics(
          await connection.inference.modelStatistics(
            { name: model ?? "", version: callOptions.version ?? "" },
            withTimeout(signal, timeoutMs),
          ),
        ),
      );
    },

    watchEndpoints(watchOptions = {}) {
      assertOpen("watchEndpoints");
      return changes.watch(states, watchOptions);
    },

    createStreamSession(model) {
      checkModelName("createStreamSession", model);
      assertOpen("createStreamSession");
      const session = createStreamSession(endpointSet, model, (closed) => sessions.delete(closed));
      sessions.add(session);
      return session;
    },

    close() {
      closing ??= (async () => {
        changes.close();
        calls.abortAll();
        await Promise.all([...sessions].map((session) => session.close()));
        await Promise.all(connections.map((connection) => connection.close()));
      })();
      return closing;
    },
  };
}

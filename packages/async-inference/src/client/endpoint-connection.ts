import { type Client, createClient, type Transport } from "@connectrpc/connect";
import {
  type BackoffOptions,
  createBackoff,
  GRPCInferenceService,
  Health,
  type SidecarError,
} from "@gpu-sidecar/sidecar-core";
import type { EndpointAddress } from "./endpoint-address.js";
import type { EndpointState, EndpointStatus } from "./endpoint-state.js";
import type { ModelInferCall } from "./grpc-model-infer-call.js";
import type { ModelStreamInferCall } from "./grpc-model-stream-infer-call.js";
import { startHealthWatcher } from "./health-watcher.js";
import { toSidecarError } from "./to-sidecar-error.js";

export interface EndpointConnectionOptions {
  readonly address: EndpointAddress;
  readonly index: number;
  readonly transport: Transport;
  /** ModelInfer without Connect's pipeline; absent: through the Connect client. */
  readonly modelInfer?: ModelInferCall | undefined;
  /** ModelStreamInfer without Connect's pipeline; absent: through the Connect client. */
  readonly modelStreamInfer?: ModelStreamInferCall | undefined;
  /** Closes the transport's connection; absent when the caller owns the transport. */
  readonly closeTransport: (() => void) | undefined;
  readonly healthService: string;
  readonly healthPollIntervalMs: number;
  readonly reconnect: BackoffOptions;
  /** Called after each change of the endpoint's status. */
  readonly onChange?: (state: EndpointState) => void;
}

/** One endpoint: its clients, its health as last known, and the watch that keeps it current. */
export interface EndpointConnection {
  readonly state: EndpointState;
  readonly inference: Client<typeof GRPCInferenceService>;
  /** One unary ModelInfer; rejects with what the Connect client would reject with. */
  readonly modelInfer: ModelInferCall;
  /** One ModelStreamInfer; rejects with what the Connect client would reject with. */
  readonly modelStreamInfer: ModelStreamInferCall;
  /**
   * A call failed with UNAVAILABLE: routers avoid this endpoint at once, without waiting for
   * the health watch to notice, and the watch starts anew to learn the current status.
   */
  markUnavailable(error: SidecarError): void;
  /** Ends the health watch, then closes the connection. */
  close(): Promise<void>;
}

type MutableEndpointState = { -readonly [K in keyof EndpointState]: EndpointState[K] };

export function createEndpointConnection(options: EndpointConnectionOptions): EndpointConnection {
  const { address, transport } = options;
  const state: MutableEndpointState = {
    url: address.url,
    locality: address.locality,
    index: options.index,
    status: "connecting",
    live: false,
    lastError: undefined,
  };
  const inference = createClient(GRPCInferenceService, transport);

  function setStatus(status: EndpointStatus, error: SidecarError | undefined): void {
    // Keeps the error of the transition: the restart that follows a failed call ends the old
    // watch with a bland CANCELLED that says nothing of why the endpoint went down.
    if (status === "unreachable" && state.status === "unreachable") return;
    const changed = status !== state.status;
    state.status = status;
    state.live = status === "serving";
    if (status !== "not-serving") state.lastError = error;
    if (changed) options.onChange?.(state);
  }

  const watcher = startHealthWatcher({
    health: createClient(Health, transport),
    inference,
    service: options.healthService,
    pollIntervalMs: options.healthPollIntervalMs,
    backoff: createBackoff(options.reconnect),
    onChange(status, error) {
      setStatus(
        status,
        status === "unreachable"
          ? toSidecarError(error, `health watch of ${address.url}`, false)
          : undefined,
      );
    },
  });

  return {
    state,
    inference,
    modelInfer:
      options.modelInfer ??
      ((request, signal, timeoutMs) =>
        inference.modelInfer(
          request,
          timeoutMs === undefined ? { signal } : { signal, timeoutMs },
        )),
    modelStreamInfer:
      options.modelStreamInfer ??
      (async (requests, signal, onResponse) => {
        for await (const response of inference.modelStreamInfer(requests, { signal })) {
          onResponse(response);
        }
      }),
    markUnavailable(error) {
      setStatus("unreachable", error);
      watcher.restart();
    },
    async close() {
      await watcher.close();
      options.closeTransport?.();
    },
  };
}

import {
  ErrorCode,
  type LoadedModel,
  type ModelLoadRequest,
  type ModelSignature,
  SidecarError,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import type { ModelBackendName } from "@gpu-sidecar/sidecar-core/config";
import { createBackend } from "../backends/create-backend.js";
import type { ExecutorInstance } from "./executor-instance.js";
import type { ExecutorLogger } from "./executor-logger.js";
import { instanceLabel } from "./instance-label.js";

export interface InlineInstanceOptions {
  /** Position in the pool, for messages. */
  readonly index: number;
  readonly backend: ModelBackendName;
  readonly request: ModelLoadRequest;
  readonly logger: ExecutorLogger;
  /** Called whenever the instance becomes able to take a batch. */
  readonly onIdle: () => void;
}

type State = "starting" | "idle" | "busy" | "closing" | "closed";

/**
 * One model instance on the sidecar's own thread (`executor: "inline"`): the backend session
 * lives on the main thread and each batch is one call of it, with no hand-off to a worker and
 * back. A batch blocks the event loop for as long as the backend computes synchronously
 * (onnxruntime-node's `run` does), so this is for models whose batches cost less than that
 * hand-off. There is no thread to crash and restart: a failing batch rejects and the instance
 * stays usable.
 */
export function createInlineInstance(options: InlineInstanceOptions): ExecutorInstance {
  const { index, backend, request, logger, onIdle } = options;
  const label = `inline ${instanceLabel(index, request)}`;
  let state: State = "starting";
  let model: LoadedModel | undefined;
  /** The last batch's outcome, which `close` waits for. */
  let lastBatch: Promise<Tensor[]> | undefined;
  let closing: Promise<void> | undefined;

  const loading = createBackend(backend, {
    onWarning: (message) => logger.warn(`${label}: ${message}`),
  }).load(request);
  const loaded = loading.then(
    (loadedModel): ModelSignature => {
      if (state === "closing" || state === "closed") {
        throw new SidecarError(ErrorCode.Unavailable, `${label} was closed before it loaded`);
      }
      model = loadedModel;
      state = "idle";
      onIdle();
      return loadedModel.signature;
    },
    (error: unknown) => {
      state = "closed";
      throw SidecarError.from(error);
    },
  );
  // `loaded` rejecting is reported to whoever awaits it (the pool); nobody awaiting is not a crash.
  loaded.catch(() => {});

  const settle = () => {
    if (state === "busy") {
      state = "idle";
      onIdle();
    }
  };

  return {
    loaded,
    get idle() {
      return state === "idle";
    },
    run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
      if (state !== "idle" || model === undefined) {
        return Promise.reject(
          new SidecarError(
            ErrorCode.FailedPrecondition,
            `${label} is ${state}, not idle; dispatch a batch only to an idle instance`,
          ),
        );
      }
      state = "busy";
      let running: Promise<Tensor[]>;
      try {
        running = model.run(inputs, outputNames);
      } catch (error) {
        running = Promise.reject(error);
      }
      const result = running.then(
        (outputs) => {
          settle();
          return outputs;
        },
        (error: unknown) => {
          settle();
          throw SidecarError.from(error);
        },
      );
      lastBatch = result;
      return result;
    },
    close() {
      closing ??= (async () => {
        const previous = state;
        state = "closing";
        if (previous === "starting") {
          // The load finishes (a session cannot be abandoned half-created) and is unloaded.
          const late = await loading.catch(() => undefined);
          await late?.unload();
        } else if (previous === "idle" || previous === "busy") {
          await lastBatch?.catch(() => {});
          try {
            await model?.unload();
          } catch (error) {
            logger.warn(
              `${label}: unloading the model failed: ${SidecarError.from(error).message}`,
            );
          }
        }
        state = "closed";
      })();
      return closing;
    },
  };
}

import { ErrorCode, SidecarError } from "../sidecar-error.js";
import { LifecycleState, lifecycleRank } from "./lifecycle-state.js";

/** Something that changed in a lifecycle; listeners hear every one, in order. */
export type LifecycleChange =
  | { readonly type: "state"; readonly from: LifecycleState; readonly to: LifecycleState }
  | { readonly type: "model"; readonly model: string; readonly ready: boolean }
  | { readonly type: "model-removed"; readonly model: string };

export type LifecycleListener = (change: LifecycleChange) => void;

export interface LifecycleOptions {
  /** The configured models; each starts not ready. */
  readonly models: Iterable<string>;
}

/**
 * The one place that knows whether the sidecar is live and ready. The server drives it
 * (transitions, model loads); health checks, the readiness RPCs and the drain logic read it.
 */
export interface Lifecycle {
  readonly state: LifecycleState;
  /** The process answers: every state but STOPPED. */
  readonly live: boolean;
  /** SERVING and every configured model ready (Triton's strict readiness). */
  readonly ready: boolean;
  /** The configured models, in the order they were added. */
  readonly models: readonly string[];
  /** Listeners currently subscribed; lets owners of subscriptions check that they let go. */
  readonly listenerCount: number;
  hasModel(name: string): boolean;
  /** The model's own readiness (loaded and able to run), whatever the server state; false if unknown. */
  isModelReady(name: string): boolean;
  /** Throws NOT_FOUND for a model that is not configured. Reports only actual changes. */
  setModelReady(name: string, ready: boolean): void;
  /** Configures one more model (explicit model control), not ready. Throws ALREADY_EXISTS. */
  addModel(name: string): void;
  /** Drops a configured model, so readiness no longer waits for it. Throws NOT_FOUND. */
  removeModel(name: string): void;
  /**
   * Moves forward to `to`, skipping states if need be (a sidecar told to stop while starting
   * drains at once). Moving to the current state does nothing, so repeated signals are
   * harmless; moving backwards throws FAILED_PRECONDITION.
   */
  transition(to: LifecycleState): void;
  /** Calls `listener` on every later change; returns the function that unsubscribes it. */
  subscribe(listener: LifecycleListener): () => void;
  /** Resolves once STOPPED; every call returns the same promise. */
  whenStopped(): Promise<void>;
}

export function createLifecycle(options: LifecycleOptions): Lifecycle {
  let state: LifecycleState = LifecycleState.Starting;
  // Insertion-ordered, so `models` lists them as configured.
  const models = new Map<string, boolean>();
  for (const name of options.models) models.set(name, false);
  const listeners = new Set<LifecycleListener>();
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => {
    markStopped = resolve;
  });

  function emit(change: LifecycleChange): void {
    // A copy, so a listener may unsubscribe (itself or another) while being called.
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (error) {
        // One faulty listener must not keep the others from hearing the change, nor undo a
        // transition already made; surface it the way Node's EventTarget does.
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }

  function requireModel(name: string): void {
    if (!models.has(name)) {
      throw new SidecarError(ErrorCode.NotFound, `model "${name}" is not configured`);
    }
  }

  return {
    get state() {
      return state;
    },
    get live() {
      return state !== LifecycleState.Stopped;
    },
    get ready() {
      if (state !== LifecycleState.Serving) return false;
      for (const ready of models.values()) if (!ready) return false;
      return true;
    },
    get models() {
      return [...models.keys()];
    },
    get listenerCount() {
      return listeners.size;
    },
    hasModel(name) {
      return models.has(name);
    },
    isModelReady(name) {
      return models.get(name) === true;
    },
    setModelReady(name, ready) {
      requireModel(name);
      if (models.get(name) === ready) return;
      models.set(name, ready);
      emit({ type: "model", model: name, ready });
    },
    addModel(name) {
      if (models.has(name)) {
        throw new SidecarError(ErrorCode.AlreadyExists, `model "${name}" is already configured`);
      }
      models.set(name, false);
      emit({ type: "model", model: name, ready: false });
    },
    removeModel(name) {
      requireModel(name);
      models.delete(name);
      emit({ type: "model-removed", model: name });
    },
    transition(to) {
      const from = state;
      if (to === from) return;
      if (lifecycleRank(to) < lifecycleRank(from)) {
        throw new SidecarError(
          ErrorCode.FailedPrecondition,
          `lifecycle cannot go back from ${from} to ${to}`,
        );
      }
      state = to;
      if (to === LifecycleState.Stopped) markStopped();
      emit({ type: "state", from, to });
    },
    subscribe(listener) {
      // A wrapper per subscription, so subscribing the same function twice needs two unsubscribes.
      const entry: LifecycleListener = (change) => listener(change);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    whenStopped() {
      return stopped;
    },
  };
}

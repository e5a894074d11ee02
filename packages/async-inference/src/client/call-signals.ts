/** One call's signal and the function that lets go of it once the call settled. */
export interface CallSignal {
  readonly signal: AbortSignal;
  release(): void;
}

/**
 * The signals of the calls in flight, all aborted by `abortAll()` (the client closing). Each
 * call gets its own controller, following the caller's signal while the call runs.
 * `AbortSignal.any([callerSignal, clientSignal])` would be shorter, but on Node 20 every
 * signal it derives from the long-lived client signal stays reachable: measured, 200 000 calls
 * kept ~13 MB after GC, growing without bound in a service that runs for weeks.
 */
export interface CallSignals {
  open(callerSignal: AbortSignal | undefined): CallSignal;
  abortAll(): void;
}

export function createCallSignals(): CallSignals {
  const inFlight = new Set<AbortController>();
  return {
    open(callerSignal) {
      const controller = new AbortController();
      const follow = () => controller.abort(callerSignal?.reason);
      if (callerSignal?.aborted === true) follow();
      else callerSignal?.addEventListener("abort", follow);
      inFlight.add(controller);
      return {
        signal: controller.signal,
        release() {
          inFlight.delete(controller);
          callerSignal?.removeEventListener("abort", follow);
        },
      };
    },
    abortAll() {
      for (const controller of inFlight) controller.abort();
      inFlight.clear();
    },
  };
}

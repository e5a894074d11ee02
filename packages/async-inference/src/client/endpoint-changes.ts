import type { EndpointState } from "./endpoint-state.js";

/** Options of `SidecarClient.watchEndpoints`. */
export interface WatchEndpointsOptions {
  /** Ends the iteration. */
  readonly signal?: AbortSignal;
}

/**
 * Fans endpoint health changes out to iterators. Each iterator holds at most one pending
 * snapshot per endpoint (the latest), so a slow reader never makes it buffer without bound.
 */
export class EndpointChanges {
  readonly #listeners = new Set<(state: EndpointState) => void>();
  readonly #closers = new Set<() => void>();

  notify(state: EndpointState): void {
    for (const listener of this.#listeners) listener(state);
  }

  close(): void {
    for (const close of this.#closers) close();
  }

  watch(
    states: readonly EndpointState[],
    options: WatchEndpointsOptions,
  ): AsyncIterable<EndpointState> {
    const listeners = this.#listeners;
    const closers = this.#closers;
    const { signal } = options;
    return {
      async *[Symbol.asyncIterator]() {
        // Every endpoint once, as it is now; then each as it changes.
        const due = new Set<EndpointState>(states);
        let ended = signal?.aborted === true;
        let wake: (() => void) | undefined;
        const listener = (state: EndpointState) => {
          due.add(state);
          wake?.();
        };
        const end = () => {
          ended = true;
          wake?.();
        };
        listeners.add(listener);
        closers.add(end);
        signal?.addEventListener("abort", end, { once: true });
        try {
          for (;;) {
            if (ended) return;
            const [next] = due;
            if (next !== undefined) {
              due.delete(next);
              yield { ...next };
              continue;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
          }
        } finally {
          listeners.delete(listener);
          closers.delete(end);
          signal?.removeEventListener("abort", end);
        }
      },
    };
  }
}

import { PlacementError, PlacementErrorCode } from "./placement-error.js";
import type { PlacementEvent } from "./placement-types.js";

/** Options of `PlacementEngine.events`. */
export interface PlacementEventsOptions {
  /** Ends the iteration. */
  readonly signal?: AbortSignal;
  /**
   * Most events held for a subscriber that reads slower than the engine decides; past it the
   * iteration fails with `SA_ERR_EVENTS_OVERFLOW` instead of buffering without bound. Default
   * 100000.
   */
  readonly bufferSize?: number;
}

interface Subscriber {
  push(event: PlacementEvent): void;
  end(): void;
}

/** Fans events out to every open subscriber; each has its own bounded buffer. */
export class PlacementEventStream {
  readonly #subscribers = new Set<Subscriber>();
  #closed = false;

  get subscribed(): boolean {
    return this.#subscribers.size > 0;
  }

  emit(event: PlacementEvent): void {
    for (const subscriber of this.#subscribers) subscriber.push(event);
  }

  close(): void {
    this.#closed = true;
    for (const subscriber of this.#subscribers) subscriber.end();
    this.#subscribers.clear();
  }

  subscribe(options: PlacementEventsOptions = {}): AsyncIterable<PlacementEvent> {
    const bufferSize = options.bufferSize ?? 100_000;
    if (!(Number.isSafeInteger(bufferSize) && bufferSize > 0)) {
      throw new PlacementError(
        PlacementErrorCode.InvalidArgument,
        `events: bufferSize is ${String(bufferSize)}, expected a positive integer`,
      );
    }
    const subscribers = this.#subscribers;
    const buffer: PlacementEvent[] = [];
    let head = 0;
    let ended = this.#closed;
    let failure: PlacementError | undefined;
    let wake: (() => void) | undefined;
    const notify = () => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    const subscriber: Subscriber = {
      push(event) {
        if (ended) return;
        if (buffer.length - head >= bufferSize) {
          failure = new PlacementError(
            PlacementErrorCode.EventsOverflow,
            `events: the subscriber fell ${bufferSize} events behind; read faster or raise bufferSize`,
          );
          subscriber.end();
          return;
        }
        buffer.push(event);
        notify();
      },
      end() {
        ended = true;
        subscribers.delete(subscriber);
        notify();
      },
    };
    if (!ended) subscribers.add(subscriber);
    const { signal } = options;
    if (signal?.aborted === true) subscriber.end();
    signal?.addEventListener("abort", () => subscriber.end(), { once: true });

    return {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            if (head < buffer.length) {
              const event = buffer[head++] as PlacementEvent;
              // Drops what was read once half the buffer is behind the reader.
              if (head > 1024 && head * 2 > buffer.length) {
                buffer.splice(0, head);
                head = 0;
              }
              yield event;
              continue;
            }
            if (failure !== undefined) throw failure;
            if (ended) return;
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
        } finally {
          subscriber.end();
        }
      },
    };
  }
}

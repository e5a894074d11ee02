/** Cancels a timer set through a Clock. */
export type CancelTimer = () => void;

/** Time and timers, injected so that tests drive the batcher on a fake clock. */
export interface Clock {
  /** Monotonic milliseconds, fractional. */
  now(): number;
  setTimer(callback: () => void, delayMs: number): CancelTimer;
}

/**
 * The process clock. The globals are looked up on every call, so fake timers installed after
 * the batcher was created still drive it.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(callback, delayMs) {
    const handle = setTimeout(callback, delayMs);
    return () => clearTimeout(handle);
  },
};

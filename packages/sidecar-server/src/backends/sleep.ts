import { isMainThread } from "node:worker_threads";

/** Waits `microseconds`; the mock backend's stand-in for time spent on an accelerator. */
export type Sleep = (microseconds: number) => Promise<void>;

/** Yields to the event loop while waiting: the only acceptable wait on the main thread. */
export const timerSleep: Sleep = (microseconds) =>
  new Promise((resolve) => setTimeout(resolve, microseconds / 1000));

/**
 * Blocks the calling thread like a synchronous GPU or ONNX Runtime call does, so a mock batch
 * occupies its executor worker exactly as a real one would. Never use it on the main thread.
 */
export const blockingSleep: Sleep = async (microseconds) => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, microseconds / 1000);
};

/** Blocking inside a worker thread, non-blocking on the main thread. */
export function defaultSleep(): Sleep {
  return isMainThread ? timerSleep : blockingSleep;
}

import { fork } from "node:child_process";
import { once } from "node:events";

/** How long a child may take to load its model, connect and warm up. */
const READY_TIMEOUT_MS = 120_000;
/**
 * A measured phase that takes this long beyond its duration (the ceiling's sweep runs eleven
 * durations) has hung, say on a sidecar that stopped answering: it fails instead of stalling
 * the whole benchmark.
 */
const measureTimeoutMs = (/** @type {number} */ durationMs) => 20 * durationMs + 120_000;
/** How long a child may take to exit after its result before it is killed. */
const EXIT_GRACE_MS = 5_000;

/**
 * A contender process on the parent's side of the measurement protocol (the child's side is
 * `serveMeasurement`): the child prepares and warms up, reports `ready`, measures for the
 * duration it is sent with `go`, and reports its `result`. Separate processes keep every
 * contender's heap, threads and JIT state its own, so contenders cannot disturb each other.
 * @template R
 * @typedef {object} MeasuredProcess
 * @property {number} pid
 * @property {Promise<void>} ready Settles once the child has prepared and warmed up.
 * @property {(durationMs: number) => Promise<R>} measure Starts the measured phase.
 * @property {() => Promise<void>} close Ends the child (waits for a clean exit, then kills).
 */

/**
 * Forks `entry` with `settings` as its one argument (JSON). Messages use the advanced
 * serialization so that latency samples travel as typed arrays.
 * @template R
 * @param {URL} entry
 * @param {unknown} settings
 * @returns {MeasuredProcess<R>}
 */
export function forkMeasuredProcess(entry, settings) {
  const child = fork(entry, [JSON.stringify(settings)], {
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const name = entry.pathname.split("/").at(-1);
  /** @type {(error: Error) => void} */
  let failReady = () => {};
  /** @type {(error: Error) => void} */
  let failResult = () => {};
  /** @type {() => void} */
  let resolveReady = () => {};
  /** @type {(result: R) => void} */
  let resolveResult = () => {};
  /** @type {Promise<void>} */
  const readyPromise = new Promise((resolve, reject) => {
    resolveReady = resolve;
    failReady = reject;
  });
  /** @type {Promise<R>} */
  const result = new Promise((resolve, reject) => {
    resolveResult = resolve;
    failResult = reject;
  });
  // Whichever of the two nobody awaits when the child fails must not crash the parent.
  readyPromise.catch(() => {});
  result.catch(() => {});
  const fail = (/** @type {Error} */ error) => {
    failReady(error);
    failResult(error);
  };
  const readyTimer = setTimeout(
    () => fail(new Error(`${name} was not ready within ${READY_TIMEOUT_MS} ms`)),
    READY_TIMEOUT_MS,
  );
  readyPromise.finally(() => clearTimeout(readyTimer)).catch(() => {});
  child.on("message", (/** @type {any} */ message) => {
    if (message.type === "ready") resolveReady();
    else if (message.type === "result") resolveResult(message.result);
    else if (message.type === "error") fail(new Error(`${name}: ${message.message}`));
  });
  child.on("exit", (code, signal) =>
    fail(new Error(`${name} exited (${signal ?? `code ${code}`}) before reporting a result`)),
  );
  child.on("error", fail);
  const exited = once(child, "exit");
  return {
    pid: /** @type {number} */ (child.pid),
    ready: readyPromise,
    async measure(durationMs) {
      await readyPromise;
      child.send({ type: "go", durationMs });
      const limit = measureTimeoutMs(durationMs);
      const timer = setTimeout(
        () => fail(new Error(`${name} measured for more than ${limit} ms`)),
        limit,
      );
      try {
        return await result;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), EXIT_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The child's side: `prepare` loads and warms up, then the parent's `go` runs `measure` once;
 * the result goes back and `close` releases what `prepare` opened. A failure is reported to
 * the parent with its stack and the child exits non-zero once the parent lets it go.
 * @template R
 * @param {(settings: any) => Promise<{ measure(durationMs: number): Promise<R>, close(): Promise<void> | void }>} prepare
 */
export async function serveMeasurement(prepare) {
  const send = (/** @type {unknown} */ message) =>
    new Promise((resolve) =>
      /** @type {NonNullable<typeof process.send>} */ (process.send)(message, resolve),
    );
  try {
    const settings = JSON.parse(/** @type {string} */ (process.argv[2]));
    // The listener stays for the child's life: it keeps the channel, and so the process, open
    // until the parent disconnects.
    /** @type {Promise<number>} */
    const go = new Promise((resolve) =>
      process.on("message", (/** @type {any} */ message) => {
        if (message.type === "go") resolve(message.durationMs);
      }),
    );
    const contender = await prepare(settings);
    await send({ type: "ready" });
    const durationMs = await go;
    const result = await contender.measure(durationMs);
    await contender.close();
    await send({ type: "result", result });
  } catch (error) {
    process.exitCode = 1;
    await send({
      type: "error",
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
  // The process stays until the parent disconnects, so that the parent can still read its CPU
  // time and memory after the result.
}

import { Worker } from "node:worker_threads";
import {
  type BackoffOptions,
  createBackoff,
  ErrorCode,
  type ModelSignature,
  SidecarError,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import type { ExecutorLogger } from "./executor-logger.js";
import { instanceLabel } from "./instance-label.js";
import type {
  FromInstance,
  InstanceWorkerData,
  ToInstance,
  WireError,
} from "./instance-messages.js";
import { transferableTensors } from "./transferable-tensors.js";

/**
 * Resolved next to the built file that contains this code (dist/), where tsup also emits the
 * worker entry; tsup's shims give the CJS build an `import.meta.url` too.
 */
const INSTANCE_WORKER_URL = new URL("./instance-worker.js", import.meta.url);

/** Restart backoff after a crash: doubles per failed restart, reset by a successful load. */
const RESTART_BACKOFF: BackoffOptions = { initialDelayMs: 100, maxDelayMs: 10_000 };
/** How long a closing worker may take to unload before it is terminated. */
const CLOSE_TIMEOUT_MS = 5_000;

export interface ExecutorInstanceOptions {
  /** Position in the pool, for messages. */
  readonly index: number;
  readonly workerData: InstanceWorkerData;
  readonly logger: ExecutorLogger;
  /** Called whenever the instance becomes able to take a batch. */
  readonly onIdle: () => void;
}

/** One model instance: a worker thread with its own backend session, restarted if it crashes. */
export interface ExecutorInstance {
  /** The signature after the first load; rejects if that load fails or the worker dies in it. */
  readonly loaded: Promise<ModelSignature>;
  readonly idle: boolean;
  /** Runs one batch; only call while `idle`. The inputs' whole buffers are transferred. */
  run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>;
  /** Lets a running batch finish, unloads the model and ends the worker. Idempotent. */
  close(): Promise<void>;
}

type State = "starting" | "idle" | "busy" | "restarting" | "closing" | "closed";

interface Batch {
  resolve(outputs: Tensor[]): void;
  reject(error: SidecarError): void;
}

function fromWire(error: WireError): SidecarError {
  return new SidecarError(error.code, error.message);
}

export function createExecutorInstance(options: ExecutorInstanceOptions): ExecutorInstance {
  const { index, workerData, logger, onIdle } = options;
  const label = instanceLabel(index, workerData.request);
  let state: State = "starting";
  let worker: Worker;
  let workerExited: Promise<void>;
  let batch: Batch | undefined;
  let batchSettled: Promise<void> = Promise.resolve();
  let everLoaded = false;
  const restartBackoff = createBackoff(RESTART_BACKOFF);
  let restartTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  let resolveLoaded: (signature: ModelSignature) => void = () => {};
  let rejectLoaded: (error: SidecarError) => void = () => {};
  const loaded = new Promise<ModelSignature>((resolve, reject) => {
    resolveLoaded = resolve;
    rejectLoaded = reject;
  });

  const becomeIdle = () => {
    state = "idle";
    // An idle worker must not keep the process alive; a busy or loading one must.
    worker.unref();
    onIdle();
  };

  const scheduleRestart = () => {
    state = "restarting";
    // Nothing waits on a crashed instance if the process has nothing else to do.
    restartTimer = setTimeout(start, restartBackoff.next()).unref();
  };

  const onMessage = (message: FromInstance) => {
    switch (message.type) {
      case "ready":
        everLoaded = true;
        restartBackoff.reset();
        resolveLoaded(message.signature);
        if (state === "starting") becomeIdle();
        return;
      case "load-failed": {
        const error = fromWire(message.error);
        if (!everLoaded) {
          state = "closed";
          rejectLoaded(error);
        } else if (state === "starting") {
          logger.error(`${label} failed to reload after a crash: ${error.message}; retrying`);
          scheduleRestart();
        }
        return;
      }
      case "result":
      case "run-failed": {
        const finished = batch;
        batch = undefined;
        if (message.type === "result") finished?.resolve([...message.outputs]);
        else finished?.reject(fromWire(message.error));
        if (state === "busy") becomeIdle();
        return;
      }
      case "warning":
        logger.warn(`${label}: ${message.message}`);
        return;
    }
  };

  const onExit = (code: number, error: Error | undefined) => {
    const expected = state === "closing" || state === "closed" || state === "restarting";
    if (expected && batch === undefined) return;
    const crash = new SidecarError(
      ErrorCode.Internal,
      `${label} ended unexpectedly (exit code ${code}${error ? `, ${error.message}` : ""}) ` +
        `${batch ? "while running this batch; retry it" : "while idle"}`,
      { cause: error },
    );
    batch?.reject(crash);
    batch = undefined;
    if (expected) return;
    if (!everLoaded) {
      state = "closed";
      rejectLoaded(crash);
      return;
    }
    logger.error(`${crash.message}; restarting it`);
    scheduleRestart();
  };

  function start(): void {
    state = "starting";
    restartTimer = undefined;
    const current = new Worker(INSTANCE_WORKER_URL, { workerData });
    let error: Error | undefined;
    worker = current;
    // A replaced worker (one that failed to reload and is still ending) speaks for nobody.
    current.on("message", (message: FromInstance) => {
      if (worker === current) onMessage(message);
    });
    current.on("error", (reason) => {
      error = reason;
    });
    workerExited = new Promise((resolve) => {
      current.once("exit", (code) => {
        if (worker === current) onExit(code, error);
        resolve();
      });
    });
  }

  start();

  return {
    loaded,
    get idle() {
      return state === "idle";
    },
    run(inputs, outputNames) {
      if (state !== "idle") {
        return Promise.reject(
          new SidecarError(
            ErrorCode.FailedPrecondition,
            `${label} is ${state}, not idle; dispatch a batch only to an idle instance`,
          ),
        );
      }
      const result = new Promise<Tensor[]>((resolve, reject) => {
        batch = { resolve, reject };
      });
      batchSettled = result.then(
        () => {},
        () => {},
      );
      try {
        const { tensors, transferList } = transferableTensors(inputs);
        const message: ToInstance = { type: "run", inputs: tensors, outputNames };
        worker.postMessage(message, transferList);
      } catch (error) {
        batch?.reject(SidecarError.from(error));
        batch = undefined;
        return result;
      }
      state = "busy";
      worker.ref();
      return result;
    },
    close() {
      closing ??= (async () => {
        const previous = state;
        state = "closing";
        clearTimeout(restartTimer);
        rejectLoaded(
          new SidecarError(ErrorCode.Unavailable, `${label} was closed before it loaded`),
        );
        // A starting worker is asked to close too, not terminated: terminating a thread inside
        // onnxruntime's session creation can abort the whole process (a C++ exception escapes).
        // It reads the request once its model loaded; if the load fails, it ends by itself.
        if (previous === "starting" || previous === "idle" || previous === "busy") {
          await batchSettled;
          // Keep the process alive until the worker has unloaded the model and ended.
          worker.ref();
          const message: ToInstance = { type: "close" };
          worker.postMessage(message);
        }
        const timeout = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS).unref();
        await workerExited;
        clearTimeout(timeout);
        state = "closed";
      })();
      return closing;
    },
  };
}

import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { Backoff } from "@gpu-sidecar/sidecar-core";
import {
  type GRPCInferenceService,
  type Health,
  HealthCheckResponse_ServingStatus,
} from "@gpu-sidecar/sidecar-core";
import { sleep } from "./sleep.js";

/** What a health watcher learns, in order. `error` is set with `unreachable`. */
export type HealthListener = (
  status: "serving" | "not-serving" | "unreachable",
  error?: unknown,
) => void;

export interface HealthWatcherOptions {
  readonly health: Client<typeof Health>;
  readonly inference: Client<typeof GRPCInferenceService>;
  /** The `grpc.health.v1` service name watched: "" for the whole server, or a model name. */
  readonly service: string;
  /** Interval of readiness probes, for servers without `Health.Watch` (e.g. Triton). */
  readonly pollIntervalMs: number;
  readonly backoff: Backoff;
  readonly onChange: HealthListener;
}

export interface HealthWatcher {
  /**
   * Drops the current watch and watches anew after the backoff delay. A call that failed with
   * UNAVAILABLE asks for this: an open watch may still hold a stale SERVING, and a new one
   * starts with the current status.
   */
  restart(): void;
  /** Ends the watch; resolves when its loop has stopped. Idempotent. */
  close(): Promise<void>;
}

/**
 * Follows one endpoint's health for the client's lifetime. It holds a `grpc.health.v1`
 * `Watch` stream open, so a drain or a dead process is known the moment it happens; when the
 * stream breaks or cannot open, the endpoint is unreachable and the watch is retried with
 * exponential backoff. Servers without `Watch` (Triton has only `Check`) answer UNIMPLEMENTED:
 * the watcher then probes the standard readiness RPCs (`ServerReady`, or `ModelReady` for a
 * model name) every `pollIntervalMs`.
 */
export function startHealthWatcher(options: HealthWatcherOptions): HealthWatcher {
  const { health, inference, service, pollIntervalMs, backoff, onChange } = options;
  const closing = new AbortController();
  let attempt = new AbortController();
  // Attempts restart() dropped: what they still report is stale, though their abort waits.
  const dropped = new WeakSet<AbortSignal>();
  const report: (signal: AbortSignal, status: "serving" | "not-serving") => void = (
    signal,
    status,
  ) => {
    if (!dropped.has(signal)) onChange(status);
  };
  let watchUnimplemented = false;
  // A probe may take as long as the interval; whole milliseconds, as timeout headers need.
  const probeTimeoutMs = Math.ceil(pollIntervalMs);

  async function watchOnce(signal: AbortSignal): Promise<void> {
    for await (const message of health.watch({ service }, { signal })) {
      backoff.reset();
      report(
        signal,
        message.status === HealthCheckResponse_ServingStatus.SERVING ? "serving" : "not-serving",
      );
    }
    // The server ends watches only when it stops; a watch never returns normally.
    throw new ConnectError("the health watch ended", Code.Unavailable);
  }

  async function probe(signal: AbortSignal): Promise<void> {
    const { ready } =
      service === ""
        ? await inference.serverReady({}, { signal, timeoutMs: probeTimeoutMs })
        : await inference.modelReady({ name: service }, { signal, timeoutMs: probeTimeoutMs });
    backoff.reset();
    report(signal, ready ? "serving" : "not-serving");
  }

  async function run(): Promise<void> {
    while (!closing.signal.aborted) {
      attempt = new AbortController();
      // close() aborts the attempt too: no signal derived from the long-lived `closing`.
      const { signal } = attempt;
      try {
        if (watchUnimplemented) {
          await probe(signal);
          await sleep(pollIntervalMs, closing.signal);
          continue;
        }
        await watchOnce(signal);
      } catch (error) {
        if (closing.signal.aborted) return;
        if (!watchUnimplemented && ConnectError.from(error).code === Code.Unimplemented) {
          watchUnimplemented = true;
          continue;
        }
        onChange("unreachable", error);
        await sleep(backoff.next(), closing.signal);
      }
    }
  }

  const done = run();
  return {
    restart() {
      const current = attempt;
      dropped.add(current.signal);
      // Aborted on a later turn: restart() is called while a failed call settles, which can be
      // inside Node's HTTP/2 receive callback, and resetting the watch's stream from there sends
      // nghttp2 into an endless loop (memory to gigabytes, then std::bad_alloc).
      setImmediate(() => current.abort());
    },
    close() {
      closing.abort();
      attempt.abort();
      return done;
    },
  };
}

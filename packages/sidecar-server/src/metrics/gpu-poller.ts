import {
  type GpuStatus,
  ResourceProfileError,
  ResourceProfileErrorCode,
  readGpuStatus,
} from "@gpu-sidecar/resource-profile";
import type { Logger } from "pino";

export interface GpuPollerOptions {
  /** The `nvidia-smi` executable; a bare name is looked up on `PATH`. */
  readonly command: string;
  /** Pause between the end of one poll and the start of the next, in ms (> 0). */
  readonly intervalMs: number;
  /** Past it a poll's process is killed and the poll counts as failed. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/** Reads GPU utilization and memory from `nvidia-smi` (layer 1's runner), one poll at a time. */
export interface GpuPoller {
  /** The GPUs of the last poll; empty before the first, after a failed one, or once disabled. */
  readonly samples: readonly GpuStatus[];
  /** Stops polling and kills a poll in flight. Idempotent. */
  close(): void;
}

/**
 * A poll starts only after the previous one ended, so a slow or hung `nvidia-smi` lowers the
 * rate instead of piling up processes. A missing executable disables polling for good with one
 * log line (a CPU-only node); any other failure clears the samples, so that no stale figures
 * are served, and is logged once until it changes or polling recovers.
 */
class NvidiaSmiPoller implements GpuPoller {
  readonly #options: GpuPollerOptions;
  readonly #abort = new AbortController();
  #samples: readonly GpuStatus[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** The failure last logged, while polls keep failing. */
  #problem: string | undefined;
  // Bound once: the timer reuses it on every poll.
  readonly #poll = (): void => {
    const { command, timeoutMs } = this.#options;
    readGpuStatus({ command, timeoutMs, signal: this.#abort.signal }).then(
      (samples) => this.#completed(samples, undefined),
      (error: unknown) => this.#completed([], error),
    );
  };

  constructor(options: GpuPollerOptions) {
    this.#options = options;
    this.#poll();
  }

  get samples(): readonly GpuStatus[] {
    return this.#samples;
  }

  close(): void {
    this.#abort.abort();
    clearTimeout(this.#timer);
    this.#samples = [];
  }

  #completed(samples: GpuStatus[], error: unknown): void {
    if (this.#abort.signal.aborted) return;
    const { command, intervalMs, logger } = this.#options;
    this.#samples = samples;
    if (
      error instanceof ResourceProfileError &&
      error.code === ResourceProfileErrorCode.DiscoveryCommandNotFound
    ) {
      logger.warn(
        { nvidiaSmi: command },
        `GPU metrics are disabled: nvidia-smi was not found at "${command}"; set metrics.nvidia_smi_path to its location, or metrics.gpu_poll_interval_ms to 0 on a node without GPUs`,
      );
      return;
    }
    if (error !== undefined) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.#problem) {
        this.#problem = message;
        logger.warn(
          { nvidiaSmi: command },
          `GPU metrics are unavailable until nvidia-smi answers: ${message}`,
        );
      }
    } else if (this.#problem !== undefined) {
      this.#problem = undefined;
      logger.info({ nvidiaSmi: command, gpus: samples.length }, "GPU metrics recovered");
    }
    this.#timer = setTimeout(this.#poll, intervalMs).unref();
  }
}

export function createGpuPoller(options: GpuPollerOptions): GpuPoller {
  return new NvidiaSmiPoller(options);
}

import { type ExecFileException, execFile } from "node:child_process";
import type { Logger } from "pino";
import { GPU_QUERY_ARGS, type GpuSample, parseGpuSamples } from "./gpu-sample.js";

export interface GpuPollerOptions {
  /** The `nvidia-smi` executable; a bare name is looked up on `PATH`. */
  readonly command: string;
  /** Pause between the end of one poll and the start of the next, in ms (> 0). */
  readonly intervalMs: number;
  /** Past it a poll's process is killed and the poll counts as failed. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/** Reads GPU utilization and memory from `nvidia-smi`, one poll at a time. */
export interface GpuPoller {
  /** The GPUs of the last poll; empty before the first, after a failed one, or once disabled. */
  readonly samples: readonly GpuSample[];
  /** Stops polling and kills a poll in flight. Idempotent. */
  close(): void;
}

/** Enough of nvidia-smi's own explanation (it prints it on stdout) to act on. */
const OUTPUT_TAIL = 300;

/**
 * A poll starts only after the previous one ended, so a slow or hung `nvidia-smi` lowers the
 * rate instead of piling up processes. A missing executable disables polling for good with one
 * log line (a CPU-only node); any other failure clears the samples, so that no stale figures
 * are served, and is logged once until it changes or polling recovers.
 */
class NvidiaSmiPoller implements GpuPoller {
  readonly #options: GpuPollerOptions;
  readonly #abort = new AbortController();
  #samples: readonly GpuSample[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** The failure last logged, while polls keep failing. */
  #problem: string | undefined;
  // Bound once: the timer and the child's callback reuse them on every poll.
  readonly #poll = (): void => {
    const { command, timeoutMs } = this.#options;
    execFile(
      command,
      GPU_QUERY_ARGS,
      {
        encoding: "utf8",
        timeout: timeoutMs,
        killSignal: "SIGKILL",
        signal: this.#abort.signal,
        maxBuffer: 1024 * 1024,
        windowsHide: true,
      },
      this.#completed,
    );
  };
  readonly #completed = (error: ExecFileException | null, stdout: string, stderr: string): void => {
    if (this.#abort.signal.aborted) return;
    const { command, intervalMs, logger } = this.#options;
    if (error?.code === "ENOENT") {
      this.#samples = [];
      logger.warn(
        { nvidiaSmi: command },
        `GPU metrics are disabled: nvidia-smi was not found at "${command}"; set metrics.nvidia_smi_path to its location, or metrics.gpu_poll_interval_ms to 0 on a node without GPUs`,
      );
      return;
    }
    try {
      if (error !== null) throw new Error(this.#describe(error, stdout, stderr));
      this.#samples = parseGpuSamples(stdout);
      if (this.#problem !== undefined) {
        this.#problem = undefined;
        logger.info({ nvidiaSmi: command, gpus: this.#samples.length }, "GPU metrics recovered");
      }
    } catch (problem) {
      this.#samples = [];
      const message = (problem as Error).message;
      if (message !== this.#problem) {
        this.#problem = message;
        logger.warn(
          { nvidiaSmi: command },
          `GPU metrics are unavailable until nvidia-smi answers: ${message}`,
        );
      }
    }
    this.#timer = setTimeout(this.#poll, intervalMs).unref();
  };

  constructor(options: GpuPollerOptions) {
    this.#options = options;
    this.#poll();
  }

  get samples(): readonly GpuSample[] {
    return this.#samples;
  }

  close(): void {
    this.#abort.abort();
    clearTimeout(this.#timer);
    this.#samples = [];
  }

  #describe(error: ExecFileException, stdout: string, stderr: string): string {
    const { command, timeoutMs } = this.#options;
    if (error.killed === true && error.signal === "SIGKILL") {
      return `"${command}" did not answer within ${timeoutMs} ms and was killed`;
    }
    if (typeof error.code === "number") {
      const said = (stderr.trim() || stdout.trim()).slice(-OUTPUT_TAIL);
      return `"${command}" exited with code ${error.code}${said === "" ? "" : `: ${said}`}`;
    }
    return `"${command}" could not run: ${error.message}`;
  }
}

export function createGpuPoller(options: GpuPollerOptions): GpuPoller {
  return new NvidiaSmiPoller(options);
}

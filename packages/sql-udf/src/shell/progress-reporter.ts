import type { MlPredictProgress } from "../execution/ml-predict-executor.js";

export interface ProgressReporter {
  readonly onProgress: (progress: MlPredictProgress) => void;
  /** Ends the live line of the ML_PREDICT in progress with its summary, if any ran. */
  finish(): void;
}

/**
 * A rows/s line while ML_PREDICT runs: rewritten in place on a terminal, a new line every
 * `intervalMs` otherwise; each ML_PREDICT ends with a summary line.
 */
export function createProgressReporter(
  stream: NodeJS.WriteStream,
  intervalMs: number,
): ProgressReporter {
  let current: MlPredictProgress | undefined;
  let lastPrinted = 0;
  const live = stream.isTTY === true;
  const describe = (p: MlPredictProgress) => {
    const seconds = p.elapsedMs / 1000;
    const rate = seconds > 0 ? Math.round(p.rows / seconds) : 0;
    return `ML_PREDICT ${p.model}: ${p.rows.toLocaleString("en-US")} rows · ${rate.toLocaleString("en-US")} rows/s · ${seconds.toFixed(1)} s`;
  };
  const finish = () => {
    if (current === undefined) return;
    stream.write(live ? `\r\x1b[K${describe(current)}\n` : `${describe(current)}\n`);
    current = undefined;
    lastPrinted = 0;
  };
  return {
    finish,
    onProgress(progress) {
      if (
        current !== undefined &&
        current.model !== progress.model &&
        progress.rows <= current.rows
      )
        finish();
      current = progress;
      if (progress.elapsedMs - lastPrinted < intervalMs) return;
      lastPrinted = progress.elapsedMs;
      stream.write(live ? `\r\x1b[K${describe(progress)}` : `${describe(progress)}\n`);
    },
  };
}

/**
 * Per-record latencies in milliseconds, kept in a growing Float64Array so that recording a
 * sample neither allocates nor boxes a number, and the samples travel to the parent as one
 * typed array.
 */
export class LatencyRecorder {
  #samples = new Float64Array(1 << 16);
  #count = 0;

  /** @param {number} ms */
  record(ms) {
    if (this.#count === this.#samples.length) {
      const grown = new Float64Array(this.#samples.length * 2);
      grown.set(this.#samples);
      this.#samples = grown;
    }
    this.#samples[this.#count++] = ms;
  }

  get count() {
    return this.#count;
  }

  /** The samples recorded so far (a copy sized to them). */
  samples() {
    return this.#samples.slice(0, this.#count);
  }
}

/**
 * A worker's `measure`: one run of `durationMs` with every record's latency recorded.
 * @param {(durationMs: number, latencies: LatencyRecorder) => Promise<{ rows: number, elapsedMs: number }>} run
 * @returns {(durationMs: number) => Promise<import("./worker-totals.mjs").WorkerResult>}
 */
export function measureWithLatencies(run) {
  return async (durationMs) => {
    const latencies = new LatencyRecorder();
    const { rows, elapsedMs } = await run(durationMs, latencies);
    return { rows, elapsedMs, latenciesMs: latencies.samples() };
  };
}

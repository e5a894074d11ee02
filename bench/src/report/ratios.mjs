/**
 * A figure the design is judged by, with its goal.
 * @typedef {object} Ratio
 * @property {string} label
 * @property {string} definition How the value is computed from the tables.
 * @property {number | undefined} value `undefined` when a figure it needs is missing.
 * @property {"×" | "ms"} unit
 * @property {">=" | "<=" | "<"} comparison
 * @property {number} goal
 * @property {boolean | undefined} met `undefined` when the value is.
 */

/** @typedef {import("./median-figures.mjs").ModelRound} ModelRound */

/**
 * @param {number | undefined} numerator
 * @param {number | undefined} denominator
 */
function quotient(numerator, denominator) {
  return numerator === undefined || denominator === undefined || denominator === 0
    ? undefined
    : numerator / denominator;
}

/**
 * @param {Omit<Ratio, "met">} ratio
 * @returns {Ratio}
 */
function judged(ratio) {
  const { value, comparison, goal } = ratio;
  const met =
    value === undefined
      ? undefined
      : comparison === ">="
        ? value >= goal
        : comparison === "<="
          ? value <= goal
          : value < goal;
  return { ...ratio, met };
}

/**
 * The record of the most workers measured.
 * @template {{ workers: number }} T
 * @param {readonly T[]} records
 * @returns {T | undefined}
 */
function mostWorkers(records) {
  return records.at(-1);
}

/**
 * The goals of issue #6, from the median figures. Throughput and memory ratios compare the
 * runs with the most workers; the large-model ratios use per-record calls (all batching is the
 * sidecar's), the small-model throughput ratio the coalescing client, as the goals name them.
 * @param {Partial<Record<import("../bench-options.mjs").ModelName, ModelRound>>} medians
 * @returns {Ratio[]}
 */
export function computeRatios(medians) {
  /** @type {Ratio[]} */
  const ratios = [];
  const { small, large } = medians;
  if (large !== undefined) {
    const embedded = mostWorkers(large.embedded);
    const sidecar = mostWorkers(large.sidecar);
    const workers = sidecar?.workers ?? embedded?.workers ?? "the most";
    ratios.push(
      judged({
        label: "large: sidecar / embedded rows/s",
        definition: `per-record sidecar rows/s ÷ embedded rows/s, ${workers} workers`,
        value: quotient(sidecar?.rowsPerSecond, embedded?.rowsPerSecond),
        unit: "×",
        comparison: ">=",
        goal: 3,
      }),
      judged({
        label: "large: sidecar / ceiling rows/s",
        definition: `per-record sidecar rows/s with ${workers} workers ÷ ceiling rows/s at its best batch size`,
        value: quotient(sidecar?.rowsPerSecond, large.ceiling?.rowsPerSecond),
        unit: "×",
        comparison: ">=",
        goal: 0.8,
      }),
      judged({
        label: "large: embedded memory / sidecar-side memory",
        definition: `peak RSS of the ${workers} embedded workers together ÷ peak RSS of the sidecar process`,
        value: quotient(embedded?.memoryBytes, sidecar?.sidecarMemoryBytes),
        unit: "×",
        comparison: ">=",
        goal: 2,
      }),
    );
  }
  if (small !== undefined) {
    const coalescing = mostWorkers(small.coalescing);
    const inProcess = small.embedded.find((figures) => figures.workers === 1);
    ratios.push(
      judged({
        label: "small: coalescing sidecar / ceiling rows/s",
        definition: `coalescing sidecar rows/s with ${coalescing?.workers ?? "the most"} workers ÷ ceiling rows/s at its best batch size`,
        value: quotient(coalescing?.rowsPerSecond, small.ceiling?.rowsPerSecond),
        unit: "×",
        comparison: ">=",
        goal: 0.5,
      }),
      judged({
        label: "small: added p50 latency at low load",
        definition:
          "p50 of one worker, one record in flight, through the sidecar − p50 of one embedded worker (in-process)",
        value:
          small.lowLoad?.p50Ms === undefined || inProcess?.p50Ms === undefined
            ? undefined
            : small.lowLoad.p50Ms - inProcess.p50Ms,
        unit: "ms",
        comparison: "<",
        goal: 0.3,
      }),
    );
  }
  for (const [name, figures] of /** @type {[string, ModelRound | undefined][]} */ ([
    ["small", small],
    ["large", large],
  ])) {
    if (figures === undefined) continue;
    const atCapacity = figures.overload.find((phase) => phase.factor === 1);
    const overloaded = figures.overload.find((phase) => phase.factor === 3);
    ratios.push(
      judged({
        label: `${name}: overload p99 time to rejection`,
        definition: "p99 from sending to RESOURCE_EXHAUSTED, offered 3× the per-record capacity",
        value: overloaded?.rejectionP99Ms,
        unit: "ms",
        comparison: "<",
        goal: 5,
      }),
      judged({
        label: `${name}: sidecar memory at 3× / at 1×`,
        definition: "peak sidecar RSS offered 3× the per-record capacity ÷ offered 1×",
        value: quotient(overloaded?.sidecarMemoryBytes, atCapacity?.sidecarMemoryBytes),
        unit: "×",
        comparison: "<=",
        goal: 1.5,
      }),
    );
  }
  return ratios;
}

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
 * runs with the most workers. Each throughput and latency goal is judged for both transports
 * of the client, one ModelInfer per call (what `client.infer` does) and calls over one
 * ModelStreamInfer stream per worker, since the two differ by an order of magnitude in cost
 * per call; the large-model goals use per-record calls (all batching is the sidecar's), the
 * small-model throughput goal the coalescing client, as the goals name them.
 * @param {Partial<Record<import("../bench-options.mjs").ModelName, ModelRound>>} medians
 * @returns {Ratio[]}
 */
export function computeRatios(medians) {
  /** @type {Ratio[]} */
  const ratios = [];
  const { small, large } = medians;
  if (large !== undefined) {
    const embedded = mostWorkers(large.embedded);
    for (const [transport, list] of /** @type {const} */ ([
      ["ModelInfer", large.sidecar],
      ["ModelStreamInfer", large.streaming],
    ])) {
      const sidecar = mostWorkers(list);
      const workers = sidecar?.workers ?? "the most";
      ratios.push(
        judged({
          label: `large: sidecar / embedded rows/s, ${transport}`,
          definition: `per-record sidecar rows/s ÷ embedded rows/s, ${workers} workers`,
          value: quotient(sidecar?.rowsPerSecond, embedded?.rowsPerSecond),
          unit: "×",
          comparison: ">=",
          goal: 3,
        }),
        judged({
          label: `large: sidecar / ceiling rows/s, ${transport}`,
          definition: `per-record sidecar rows/s with ${workers} workers ÷ ceiling rows/s at its best batch size`,
          value: quotient(sidecar?.rowsPerSecond, large.ceiling?.rowsPerSecond),
          unit: "×",
          comparison: ">=",
          goal: 0.8,
        }),
      );
    }
    const sidecar = mostWorkers(large.sidecar);
    ratios.push(
      judged({
        label: "large: embedded memory / sidecar-side memory",
        definition: `peak RSS of the ${embedded?.workers ?? "most"} embedded workers together ÷ peak RSS of the sidecar process (per-record ModelInfer run)`,
        value: quotient(embedded?.memoryBytes, sidecar?.sidecarMemoryBytes),
        unit: "×",
        comparison: ">=",
        goal: 2,
      }),
    );
  }
  if (small !== undefined) {
    for (const [transport, list] of /** @type {const} */ ([
      ["ModelInfer", small.coalescing],
      ["ModelStreamInfer", small.coalescingStream],
    ])) {
      const coalescing = mostWorkers(list);
      ratios.push(
        judged({
          label: `small: coalescing sidecar / ceiling rows/s, ${transport}`,
          definition: `coalescing sidecar rows/s with ${coalescing?.workers ?? "the most"} workers ÷ ceiling rows/s at its best batch size`,
          value: quotient(coalescing?.rowsPerSecond, small.ceiling?.rowsPerSecond),
          unit: "×",
          comparison: ">=",
          goal: 0.5,
        }),
      );
    }
    const inProcess = small.embedded.find((figures) => figures.workers === 1);
    for (const [transport, lowLoad] of /** @type {const} */ ([
      ["ModelInfer", small.lowLoad],
      ["ModelStreamInfer", small.lowLoadStream],
    ])) {
      ratios.push(
        judged({
          label: `small: added p50 latency at low load, ${transport}`,
          definition:
            "p50 of one worker, one record in flight, through the sidecar − p50 of one embedded worker (in-process)",
          value:
            lowLoad?.p50Ms === undefined || inProcess?.p50Ms === undefined
              ? undefined
              : lowLoad.p50Ms - inProcess.p50Ms,
          unit: "ms",
          comparison: "<",
          goal: 0.3,
        }),
      );
    }
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
        definition:
          "p99 from sending to RESOURCE_EXHAUSTED, ModelInfer calls offered at 3× the per-record ModelInfer capacity",
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

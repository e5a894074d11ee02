/**
 * A figure the design is judged by, with its goal.
 * @typedef {object} Ratio
 * @property {string} label
 * @property {string} definition How the value is computed from the tables.
 * @property {number | undefined} value `undefined` when a figure it needs is missing.
 * @property {"×" | "ms" | "µs"} unit
 * @property {">=" | "<=" | "<"} comparison
 * @property {number} goal
 * @property {boolean | undefined} met `undefined` when the value is.
 */

/** @typedef {import("./median-figures.mjs").ModelRound} ModelRound */

/**
 * @param {number | undefined} numerator
 * @param {number | undefined} denominator
 */
export function quotient(numerator, denominator) {
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
          // Issue #14 raised the per-record ModelInfer goal from 3× to 8×.
          goal: transport === "ModelInfer" ? 8 : 3,
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
    const phase = (/** @type {number} */ factor) =>
      figures.overload.find((candidate) => candidate.factor === factor);
    for (const factor of [3, 10]) {
      ratios.push(
        judged({
          label: `${name}: overload p99 send → rejection at ${factor}×`,
          definition: `p99 from a ModelInfer call leaving a window-bounded generator to its RESOURCE_EXHAUSTED, offered ${factor}× the per-record capacity`,
          value: phase(factor)?.rejectionP99Ms,
          unit: "ms",
          comparison: "<",
          goal: 5,
        }),
      );
    }
    ratios.push(
      judged({
        label: `${name}: sidecar memory at 10× / at 1×`,
        definition: "peak sidecar RSS offered 10× the per-record capacity ÷ offered 1×",
        value: quotient(phase(10)?.sidecarMemoryBytes, phase(1)?.sidecarMemoryBytes),
        unit: "×",
        comparison: "<=",
        goal: 1.2,
      }),
    );
  }
  ratios.push(...costTargets(medians));
  return ratios;
}

/**
 * The label of the cost target "sidecar CPU per call, one record in flight", which the same
 * run's floor stands next to (floor-comparison.mjs).
 * @param {"ModelInfer" | "ModelStreamInfer"} transport
 */
export function cpuPerCallLabel(transport) {
  return `small: sidecar CPU per call, one record in flight, ${transport}`;
}

/**
 * The cost targets of issue #14: the sidecar's CPU per call and per row (CPU time hardly moves
 * with other load on the machine, unlike rates), and the large model against its ruler with
 * one coalescing worker.
 * @param {Partial<Record<import("../bench-options.mjs").ModelName, ModelRound>>} medians
 * @returns {Ratio[]}
 */
function costTargets(medians) {
  /** @type {Ratio[]} */
  const ratios = [];
  const { small, large } = medians;
  if (small !== undefined) {
    for (const [transport, lowLoad] of /** @type {const} */ ([
      ["ModelInfer", small.lowLoad],
      ["ModelStreamInfer", small.lowLoadStream],
    ])) {
      ratios.push(
        judged({
          label: cpuPerCallLabel(transport),
          definition:
            "sidecar user + system CPU over the phase ÷ calls, one worker, one record in flight",
          value: lowLoad?.sidecarCpuMicrosPerRow,
          unit: "µs",
          comparison: "<=",
          goal: 100,
        }),
      );
    }
    const perRecord = mostWorkers(small.sidecar);
    ratios.push(
      judged({
        label: "small: sidecar CPU per row, per-record ModelInfer",
        definition: `sidecar CPU ÷ rows, per-record calls, ${perRecord?.workers ?? "the most"} workers`,
        value: perRecord?.sidecarCpuMicrosPerRow,
        unit: "µs",
        comparison: "<=",
        goal: 40,
      }),
    );
    const coalescing = mostWorkers(small.coalescingStream);
    ratios.push(
      judged({
        label: "small: sidecar CPU per row, coalescing over a stream",
        definition: `sidecar CPU ÷ rows, coalescing client over one ModelStreamInfer stream per worker, ${coalescing?.workers ?? "the most"} workers`,
        value: coalescing?.sidecarCpuMicrosPerRow,
        unit: "µs",
        comparison: "<=",
        goal: 2,
      }),
    );
  }
  if (large !== undefined) {
    const oneWorker = large.coalescing.find((figures) => figures.workers === 1);
    ratios.push(
      judged({
        label: "large: sidecar / ceiling rows/s, 1 worker coalescing",
        definition:
          "coalescing sidecar rows/s with 1 worker (ModelInfer) ÷ ceiling rows/s at its best batch size",
        value: quotient(oneWorker?.rowsPerSecond, large.ceiling?.rowsPerSecond),
        unit: "×",
        comparison: ">=",
        goal: 0.8,
      }),
    );
  }
  return ratios;
}

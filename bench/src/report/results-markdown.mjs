import { OVERLOAD_MAX_QUEUE_SIZE } from "../bench-models.mjs";

/** @typedef {import("./write-results.mjs").BenchResults} BenchResults */

const MIB = 1024 * 1024;

/** @param {number | undefined} value */
function rate(value) {
  if (value === undefined) return "—";
  return Math.round(value).toLocaleString("en-US");
}

/** @param {number | undefined} value */
function ms(value) {
  if (value === undefined) return "—";
  return value < 10 ? value.toFixed(3) : value.toFixed(1);
}

/** @param {number} bytes */
function fileSize(bytes) {
  return bytes < MIB ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / MIB).toFixed(0)} MiB`;
}

/** @param {number | undefined} bytes */
function mib(bytes) {
  return bytes === undefined ? "—" : (bytes / MIB).toFixed(0);
}

/** @param {number | undefined} value @param {number} digits */
function fixed(value, digits) {
  return value === undefined ? "—" : value.toFixed(digits);
}

/**
 * @param {BenchResults["loadAverages"]} loads
 * @param {number} cores
 */
function loadLine(loads, cores) {
  if (loads.length === 0) return "";
  const values = loads.map((load) => load.oneMinute);
  return `The machine's 1-minute load average as contenders started: ${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)} on ${cores} cores (above the core count, other work competed for the CPUs).`;
}

/** @param {string[]} cells */
function row(cells) {
  return `| ${cells.join(" | ")} |`;
}

/** @param {string[]} header @param {string[][]} rows */
function table(header, rows) {
  return [row(header), row(header.map(() => "---")), ...rows.map(row)].join("\n");
}

/** @param {import("./ratios.mjs").Ratio} ratio */
function ratioValue(ratio) {
  if (ratio.value === undefined) return "—";
  if (ratio.unit === "ms") return `${ratio.value.toFixed(3)} ms`;
  if (ratio.unit === "µs") return `${ratio.value.toFixed(ratio.value < 10 ? 1 : 0)} µs`;
  // Two significant digits however small: a ratio of 0.0004 must not print as 0.00.
  return `${ratio.value >= 0.1 ? ratio.value.toFixed(2) : ratio.value.toPrecision(2)}×`;
}

/** @param {import("./ratios.mjs").Ratio} ratio */
function ratioGoal(ratio) {
  const comparison = { ">=": "≥", "<=": "≤", "<": "<" }[ratio.comparison];
  return `${comparison} ${ratio.goal}${ratio.unit === "×" ? "" : ` ${ratio.unit}`}`;
}

/** @param {import("./median-figures.mjs").ModelRound} figures */
function throughputTable(figures) {
  /** @type {string[][]} */
  const rows = [];
  if (figures.ceiling !== undefined) {
    const { bestBatchSize, rowsPerSecond } = figures.ceiling;
    rows.push([`ceiling (in-process, batch ${bestBatchSize})`, "1", rate(rowsPerSecond)]);
  }
  for (const e of figures.embedded) {
    rows.push([
      "embedded (model per worker)",
      String(e.workers),
      rate(e.rowsPerSecond),
      ms(e.p50Ms),
      ms(e.p99Ms),
      "1",
      mib(e.memoryBytes),
      "—",
      "—",
      fixed(e.workerCpuMicrosPerRow, 0),
    ]);
  }
  /** @type {[string, import("../scenarios/sidecar.mjs").SidecarFigures[]][]} */
  const sidecars = [
    ["sidecar, per-record calls", figures.sidecar],
    ["sidecar, per-record over one stream", figures.streaming],
    ["sidecar, coalescing client", figures.coalescing],
    ["sidecar, coalescing client over one stream", figures.coalescingStream],
    ["sidecar, one record in flight", figures.lowLoad === undefined ? [] : [figures.lowLoad]],
    [
      "sidecar, one record in flight, stream",
      figures.lowLoadStream === undefined ? [] : [figures.lowLoadStream],
    ],
  ];
  for (const [label, list] of sidecars) {
    for (const s of list) {
      rows.push([
        label,
        String(s.workers),
        rate(s.rowsPerSecond),
        ms(s.p50Ms),
        ms(s.p99Ms),
        fixed(s.averageBatchSize, 1),
        mib(s.memoryBytes),
        mib(s.sidecarMemoryBytes),
        fixed(s.sidecarCpuMicrosPerRow, 0),
        fixed(s.workerCpuMicrosPerRow, 0),
      ]);
    }
  }
  const header = [
    "contender",
    "workers",
    "rows/s",
    "p50 ms",
    "p99 ms",
    "avg batch",
    "RSS all MiB",
    "RSS sidecar MiB",
    "CPU µs/row sidecar",
    "CPU µs/row workers",
  ];
  return table(
    header,
    rows.map((cells) => [...cells, ...header.slice(cells.length).map(() => "—")]),
  );
}

/** @param {number | undefined} micros @param {number | undefined} perSecond */
function perCall(micros, perSecond) {
  return micros === undefined ? "—" : `${micros.toFixed(0)} (${rate(perSecond)}/s)`;
}

/**
 * The per-call cost targets beside the same run's floor, or nothing when no floor was measured.
 * @param {import("./floor-comparison.mjs").FloorComparison[]} comparisons
 * @returns {string[]}
 */
function floorComparisonSection(comparisons) {
  if (
    comparisons.every(
      (c) => c.floorCpuMicrosPerCall === undefined && c.flatOutFloorCpuMicrosPerCall === undefined,
    )
  ) {
    return [];
  }
  return [
    "",
    "Context for the per-call targets (not their judgement, which is the sidecar's figure alone): the same run's floor, a bare node:http2 gRPC server answering pre-encoded responses of the same size with one call in flight, paced at the calls/s the sidecar reached (a server's CPU per call grows as calls come further apart) and flat out; µs of server CPU per call (calls/s):",
    "",
    table(
      [
        "target",
        "sidecar",
        "floor at the sidecar's rate",
        "sidecar ÷ floor",
        "sidecar − floor (the sidecar's own)",
        "floor flat out",
        "model run µs (ceiling, batch 1)",
      ],
      comparisons.map((c) => [
        c.target,
        perCall(c.sidecarCpuMicrosPerCall, c.sidecarCallsPerSecond),
        perCall(c.floorCpuMicrosPerCall, c.floorCallsPerSecond),
        c.sidecarOverFloor === undefined ? "—" : `${c.sidecarOverFloor.toFixed(1)}×`,
        fixed(c.sidecarMinusFloor, 0),
        perCall(c.flatOutFloorCpuMicrosPerCall, c.flatOutFloorCallsPerSecond),
        fixed(c.modelRunMicros, 0),
      ]),
    ),
  ];
}

/** @param {import("./median-figures.mjs").ModelRound} figures */
function floorTable(figures) {
  /** @type {[string, import("../scenarios/grpc-floor.mjs").FloorFigures | undefined][]} */
  const floors = [
    ["ModelInfer, one HTTP/2 stream per call", figures.floor],
    ["ModelInfer, at the sidecar's rate", figures.floorAtSidecarRate],
    ["ModelStreamInfer, one message in flight on one stream", figures.floorStream],
    ["ModelStreamInfer, at the sidecar's rate", figures.floorStreamAtSidecarRate],
  ];
  return table(
    [
      "floor, one call in flight",
      "paced to calls/s",
      "calls/s",
      "p50 ms",
      "p99 ms",
      "RSS server MiB",
      "CPU µs/call server",
      "CPU µs/call client",
    ],
    floors.map(([label, f]) => [
      label,
      f?.pacedPerSecond === undefined ? "—" : rate(f.pacedPerSecond),
      rate(f?.rowsPerSecond),
      ms(f?.p50Ms),
      ms(f?.p99Ms),
      mib(f?.serverMemoryBytes),
      fixed(f?.serverCpuMicrosPerCall, 0),
      fixed(f?.clientCpuMicrosPerCall, 0),
    ]),
  );
}

/** @param {import("./median-figures.mjs").ModelRound} figures */
function sweepTable(figures) {
  const sweep = figures.ceiling?.sweep ?? [];
  return table(
    ["batch size", ...sweep.map((point) => String(point.batchSize))],
    [["rows/s", ...sweep.map((point) => rate(point.rowsPerSecond))]],
  );
}

/** @param {import("./median-figures.mjs").ModelRound} figures */
function overloadTable(figures) {
  return table(
    [
      "offered",
      "target req/s",
      "sent req/s",
      "withheld (window full)",
      "served req/s",
      "rejected",
      "other failures",
      "rejection p50 / p99 ms",
      "success p50 / p99 ms",
      "RSS sidecar MiB",
      "CPU µs/request sidecar",
      "CPU µs/request generators (busy share)",
    ],
    figures.overload.map((phase) => [
      `${phase.factor}×`,
      rate(phase.targetPerSecond),
      rate(phase.offeredPerSecond),
      `${((phase.withheldShare ?? 0) * 100).toFixed(1)} %`,
      rate(phase.succeededPerSecond),
      `${(phase.rejectedShare * 100).toFixed(1)} %`,
      phase.failed === 0 ? "0" : `${phase.failed} (${phase.firstFailure})`,
      `${ms(phase.rejectionP50Ms)} / ${ms(phase.rejectionP99Ms)}`,
      `${ms(phase.successP50Ms)} / ${ms(phase.successP99Ms)}`,
      mib(phase.sidecarMemoryBytes),
      fixed(phase.sidecarCpuMicrosPerRequest, 0),
      `${fixed(phase.generatorCpuMicrosPerRequest, 0)} (${phase.generatorCpuShare === undefined ? "—" : `${(phase.generatorCpuShare * 100).toFixed(0)} %`})`,
    ]),
  );
}

/**
 * results.md: the ratios with their goals first, then every median figure by model.
 * @param {BenchResults} results
 * @returns {string}
 */
export function resultsMarkdown(results) {
  const { machine, options } = results;
  const lines = [
    "# gpu-sidecar benchmark",
    "",
    `\`${results.command}\` — ${machine.date}${machine.commit ? `, commit ${machine.commit}` : ""}`,
    "",
    `Machine: ${machine.cores} × ${machine.cpuModel}, ${(machine.memoryBytes / 1024 ** 3).toFixed(0)} GiB, ${machine.os}; Node ${machine.node}, onnxruntime-node ${machine.onnxruntime} (CPU).`,
    `Every figure is the median of ${options.rounds} round${options.rounds === 1 ? "" : "s"}; each contender ran ${options.durationMs / 1000} s per round in its own processes.`,
    loadLine(results.loadAverages, machine.cores),
    "",
    "## Goals",
    "",
    table(
      ["ratio", "value", "goal", "", "definition"],
      results.ratios.map((ratio) => [
        ratio.label,
        ratioValue(ratio),
        ratioGoal(ratio),
        ratio.met === undefined ? "n/a" : ratio.met ? "met" : "**missed**",
        ratio.definition,
      ]),
    ),
    ...floorComparisonSection(results.floorComparison),
  ];
  for (const [name, figures] of Object.entries(results.medians)) {
    if (figures === undefined) continue;
    const model = results.models[name];
    lines.push(
      "",
      `## ${name} model: ${model?.description}, ${model === undefined ? "" : fileSize(model.fileBytes)}`,
      "",
      throughputTable(figures),
      "",
      ...([
        figures.floor,
        figures.floorStream,
        figures.floorAtSidecarRate,
        figures.floorStreamAtSidecarRate,
      ].every((f) => f === undefined)
        ? []
        : [
            "Floor: a bare node:http2 h2c server on a Unix socket that gathers each request, reads only its gRPC envelopes and answers a pre-encoded ModelInferResponse / ModelStreamInferResponse of one FP32 row (no decoding, no model), driven by a bare node:http2 client sending encoded ModelInferRequests of one row, one call in flight, flat out and paced at the calls/s of the sidecar's one-record-in-flight contender; sampled like that contender:",
            "",
            floorTable(figures),
            "",
          ]),
      "Ceiling sweep (in-process rows/s by batch size):",
      "",
      sweepTable(figures),
      "",
      `Overload (sidecar with max_queue_size ${OVERLOAD_MAX_QUEUE_SIZE}; generators offering a multiple of the per-record capacity, each with at most ${figures.overload[0]?.window ?? "—"} requests in flight: a request due while the window is full is withheld, never queued in the generator, so times run from the request leaving to its answer):`,
      "",
      overloadTable(figures),
    );
  }
  if (results.sql !== undefined) lines.push("", ...sqlSection(results.sql));
  if (results.failures.length > 0) {
    lines.push("", "## Failures", "");
    for (const failure of results.failures) {
      lines.push(
        `- round ${failure.round}, ${failure.model}, ${failure.contender}: ${failure.message.split("\n")[0]}`,
      );
    }
  }
  lines.push(
    "",
    "![rows/s by workers](throughput.svg)",
    "",
    "Latency is per record, from entering the worker's pipeline to its result. Memory is the peak, over 100 ms samples, of the summed VmRSS of the processes named. CPU per row is the processes' user + system CPU time over the measured phase divided by the rows served: unlike rows/s it does not move when other work takes the CPUs.",
    "",
  );
  return lines.join("\n");
}

/** @param {number} bytes */
function mebibytes(bytes) {
  return `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/**
 * Layer 6: ML_PREDICT against the operator on the same rows and sidecar, memory by table size,
 * and the Redis pipeline beside the main job.
 * @param {import("../scenarios/sql.mjs").SqlFigures} sql
 */
function sqlSection(sql) {
  const rate = (/** @type {number} */ value) => Math.round(value).toLocaleString("en-US");
  return [
    "## SQL: ML_PREDICT on DuckDB (the bundled fraud model, one sidecar)",
    "",
    table(
      [
        "table rows",
        "ML_PREDICT rows/s",
        "operator rows/s",
        "SQL ÷ operator",
        "goal",
        "ML_PREDICT peak RSS",
        "its peak JS heap",
        "operator peak RSS",
      ],
      sql.sizes.map((size) => {
        const ratio = size.sql.rowsPerSecond / size.operator.rowsPerSecond;
        return [
          size.rows.toLocaleString("en-US"),
          rate(size.sql.rowsPerSecond),
          rate(size.operator.rowsPerSecond),
          `${ratio.toFixed(2)}×`,
          ratio >= 0.8 ? "≥ 0.8 met" : "≥ 0.8 **missed**",
          mebibytes(size.sql.peakRssBytes),
          mebibytes(size.sql.peakHeapBytes),
          mebibytes(size.operator.peakRssBytes),
        ];
      }),
    ),
    "",
    table(
      ["pipeline (3 workers)", "rows/s"],
      [
        [
          "Redis Streams pipeline (examples/redis-pipeline)",
          "skipped" in sql.redis ? sql.redis.skipped : rate(sql.redis.rowsPerSecond),
        ],
        [
          "in-memory main job (examples/main-job)",
          "failed" in sql.mainJob
            ? `failed: ${sql.mainJob.failed}`
            : rate(sql.mainJob.rowsPerSecond),
        ],
      ],
    ),
    "",
    "ML_PREDICT reads a DuckDB file table and scores it through the gpu-sidecar provider (one stream, 64 rows a call, 10 calls in flight); the operator scores the same rows, generated in memory, with the same settings. Each runs in a fresh process; peak RSS and heap are sampled every 20 ms while the statement runs.",
  ];
}

import { runCeiling } from "./scenarios/ceiling.mjs";
import { runEmbedded } from "./scenarios/embedded.mjs";
import { runGrpcFloor } from "./scenarios/grpc-floor.mjs";
import { runOverload } from "./scenarios/overload.mjs";
import { runSidecar, SIDECAR_VARIANTS } from "./scenarios/sidecar.mjs";

/**
 * Runs one contender and logs its summary; a failure is logged and reported through
 * `onFailure`, and the round goes on with the other contenders.
 * @typedef {<T>(contender: string, run: () => Promise<T>, summary: (figures: T) => string) => Promise<T | undefined>} Attempt
 */

/** @param {{ rowsPerSecond: number, p50Ms: number | undefined }} figures */
function throughput(figures) {
  return `${Math.round(figures.rowsPerSecond)} rows/s, p50 ${figures.p50Ms?.toFixed(3) ?? "—"} ms`;
}

/** @param {import("./scenarios/sidecar.mjs").SidecarFigures} figures */
function batched(figures) {
  return (
    `${throughput(figures)}, avg batch ${figures.averageBatchSize?.toFixed(1) ?? "—"}, ` +
    `CPU/row sidecar ${figures.sidecarCpuMicrosPerRow?.toFixed(0) ?? "—"} µs, ` +
    `workers ${figures.workerCpuMicrosPerRow?.toFixed(0) ?? "—"} µs`
  );
}

/** @param {import("./scenarios/grpc-floor.mjs").FloorFigures} figures */
function floor(figures) {
  return (
    `${Math.round(figures.rowsPerSecond)} calls/s, p50 ${figures.p50Ms?.toFixed(3) ?? "—"} ms, ` +
    `CPU/call server ${figures.serverCpuMicrosPerCall?.toFixed(0) ?? "—"} µs, ` +
    `client ${figures.clientCpuMicrosPerCall?.toFixed(0) ?? "—"} µs`
  );
}

/**
 * The model whose rounds measure the floor. The floor does not depend on the model (every bench
 * model has the fraud signature, one FP32 row in and one out) and the per-call targets it puts
 * in context are the small model's: once per round, next to the figures it is compared with.
 */
const FLOOR_MODEL = "small";

/**
 * Every contender on one model, one after the other: contenders never share the machine.
 * @param {import("./bench-models.mjs").BenchModel} model
 * @param {{ durationMs: number, workers: number[] }} options
 * @param {Attempt} attempt
 * @returns {Promise<import("./report/median-figures.mjs").ModelRound>}
 */
export async function runModelRound(model, { durationMs, workers }, attempt) {
  /** @type {import("./report/median-figures.mjs").ModelRound} */
  const round = {
    ceiling: await attempt(
      "ceiling",
      () => runCeiling(model, durationMs),
      (f) => `${Math.round(f.rowsPerSecond)} rows/s at batch ${f.bestBatchSize}`,
    ),
    embedded: [],
    sidecar: [],
    streaming: [],
    coalescing: [],
    coalescingStream: [],
    lowLoad: undefined,
    lowLoadStream: undefined,
    floor: undefined,
    floorStream: undefined,
    floorAtSidecarRate: undefined,
    floorStreamAtSidecarRate: undefined,
    overload: [],
  };
  for (const w of workers) {
    const figures = await attempt(
      `embedded W=${w}`,
      () => runEmbedded(model, w, durationMs),
      throughput,
    );
    if (figures !== undefined) round.embedded.push(figures);
  }
  for (const [list, variant, name] of /** @type {const} */ ([
    [round.sidecar, SIDECAR_VARIANTS.perRecord, "sidecar"],
    [round.streaming, SIDECAR_VARIANTS.streaming, "sidecar streaming"],
    [round.coalescing, SIDECAR_VARIANTS.coalescing, "sidecar coalescing"],
    [round.coalescingStream, SIDECAR_VARIANTS.coalescingStream, "sidecar coalescing streaming"],
  ])) {
    for (const w of workers) {
      const figures = await attempt(
        `${name} W=${w}`,
        () => runSidecar(model, w, variant, durationMs),
        batched,
      );
      if (figures !== undefined) list.push(figures);
    }
  }
  round.lowLoad = await attempt(
    "sidecar low load W=1",
    () => runSidecar(model, 1, SIDECAR_VARIANTS.lowLoad, durationMs),
    throughput,
  );
  round.lowLoadStream = await attempt(
    "sidecar low load over a stream W=1",
    () => runSidecar(model, 1, SIDECAR_VARIANTS.lowLoadStream, durationMs),
    throughput,
  );
  if (model.id === FLOOR_MODEL) {
    for (const [transport, sidecar, flatOut, atSidecarRate, name] of /** @type {const} */ ([
      ["unary", round.lowLoad, "floor", "floorAtSidecarRate", "grpc floor"],
      [
        "stream",
        round.lowLoadStream,
        "floorStream",
        "floorStreamAtSidecarRate",
        "grpc floor over a stream",
      ],
    ])) {
      round[flatOut] = await attempt(
        `${name} W=1`,
        () => runGrpcFloor(model, transport, durationMs, undefined),
        floor,
      );
      round[atSidecarRate] = await attempt(
        `${name} at the sidecar's rate W=1`,
        () => {
          if (sidecar === undefined) {
            throw new Error(
              "no one-record-in-flight sidecar rate was measured to pace the floor at",
            );
          }
          return runGrpcFloor(model, transport, durationMs, sidecar.rowsPerSecond);
        },
        floor,
      );
    }
  }
  // The capacity the overload is a multiple of: per-record calls with the most workers.
  const capacity = round.sidecar.at(-1);
  round.overload =
    (await attempt(
      "overload",
      () => {
        if (capacity === undefined) {
          throw new Error("no per-record sidecar capacity was measured to overload");
        }
        return runOverload(model, capacity.rowsPerSecond, capacity.workers, durationMs);
      },
      (phases) =>
        phases
          .map(
            (p) =>
              `${p.factor}×: sent ${Math.round(p.offeredPerSecond)}/s, rejected ` +
              `${(p.rejectedShare * 100).toFixed(1)} %, rejection p99 ${p.rejectionP99Ms?.toFixed(3) ?? "—"} ms`,
          )
          .join("; "),
    )) ?? [];
  return round;
}

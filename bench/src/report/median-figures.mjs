import { median } from "../statistics.mjs";

/**
 * Every figure of one model in one round; a contender that failed is missing.
 * @typedef {object} ModelRound
 * @property {import("../scenarios/ceiling.mjs").CeilingFigures | undefined} ceiling
 * @property {import("../scenarios/embedded.mjs").EmbeddedFigures[]} embedded One per worker count.
 * @property {import("../scenarios/sidecar.mjs").SidecarFigures[]} sidecar Per-record calls.
 * @property {import("../scenarios/sidecar.mjs").SidecarFigures[]} streaming Per-record, one stream.
 * @property {import("../scenarios/sidecar.mjs").SidecarFigures[]} coalescing
 * @property {import("../scenarios/sidecar.mjs").SidecarFigures[]} coalescingStream
 * @property {import("../scenarios/sidecar.mjs").SidecarFigures | undefined} lowLoad
 * @property {import("../scenarios/sidecar.mjs").SidecarFigures | undefined} lowLoadStream
 * @property {import("../scenarios/grpc-floor.mjs").FloorFigures | undefined} floor A bare
 *   node:http2 server's cost per call, one call in flight, flat out (the small model's rounds).
 * @property {import("../scenarios/grpc-floor.mjs").FloorFigures | undefined} floorStream The
 *   same over one ModelStreamInfer stream.
 * @property {import("../scenarios/grpc-floor.mjs").FloorFigures | undefined} floorAtSidecarRate
 *   `floor` paced at the calls/s of the round's `lowLoad`.
 * @property {import("../scenarios/grpc-floor.mjs").FloorFigures | undefined} floorStreamAtSidecarRate
 *   `floorStream` paced at the calls/s of the round's `lowLoadStream`.
 * @property {import("../scenarios/overload.mjs").OverloadPhase[]} overload
 */

/**
 * Field by field median of records of one shape: numbers by `median`, anything else from the
 * first record that has it (labels, the first failure message).
 * @template {object} T
 * @param {readonly T[]} records
 * @returns {T | undefined}
 */
function medianRecord(records) {
  const [first] = records;
  if (first === undefined) return undefined;
  /** @type {Record<string, unknown>} */
  const result = {};
  for (const key of Object.keys(first)) {
    const values = records.map((record) => /** @type {Record<string, unknown>} */ (record)[key]);
    result[key] = values.some((value) => typeof value === "number")
      ? median(values.map((value) => (typeof value === "number" ? value : undefined)))
      : values.find((value) => value !== undefined);
  }
  return /** @type {T} */ (result);
}

/**
 * Medians of the records that share `key` (worker count, overload factor, batch size) across
 * rounds, in ascending key order.
 * @template {object} T
 * @param {readonly (readonly T[])[]} rounds
 * @param {keyof T} key
 * @returns {T[]}
 */
function medianByKey(rounds, key) {
  /** @type {Map<unknown, T[]>} */
  const groups = new Map();
  for (const record of rounds.flat()) {
    const group = groups.get(record[key]);
    if (group === undefined) groups.set(record[key], [record]);
    else group.push(record);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, group]) => /** @type {T} */ (medianRecord(group)));
}

/**
 * The median over rounds of every figure of one model. The ceiling's best batch size is read
 * off the median sweep, so it is a point of the curve the report shows.
 * @param {readonly ModelRound[]} rounds
 * @returns {ModelRound}
 */
export function medianModelRound(rounds) {
  const sweep = medianByKey(
    rounds.flatMap((round) => (round.ceiling === undefined ? [] : [round.ceiling.sweep])),
    "batchSize",
  );
  const best = sweep.reduce(
    (a, b) => (a === undefined || b.rowsPerSecond > a.rowsPerSecond ? b : a),
    /** @type {(typeof sweep)[number] | undefined} */ (undefined),
  );
  return {
    ceiling:
      best === undefined
        ? undefined
        : { bestBatchSize: best.batchSize, rowsPerSecond: best.rowsPerSecond, sweep },
    embedded: medianByKey(
      rounds.map((round) => round.embedded),
      "workers",
    ),
    sidecar: medianByKey(
      rounds.map((round) => round.sidecar),
      "workers",
    ),
    streaming: medianByKey(
      rounds.map((round) => round.streaming),
      "workers",
    ),
    coalescing: medianByKey(
      rounds.map((round) => round.coalescing),
      "workers",
    ),
    coalescingStream: medianByKey(
      rounds.map((round) => round.coalescingStream),
      "workers",
    ),
    lowLoad: medianRecord(rounds.flatMap((round) => (round.lowLoad ? [round.lowLoad] : []))),
    lowLoadStream: medianRecord(
      rounds.flatMap((round) => (round.lowLoadStream ? [round.lowLoadStream] : [])),
    ),
    floor: medianRecord(rounds.flatMap((round) => (round.floor ? [round.floor] : []))),
    floorStream: medianRecord(
      rounds.flatMap((round) => (round.floorStream ? [round.floorStream] : [])),
    ),
    floorAtSidecarRate: medianRecord(
      rounds.flatMap((round) => (round.floorAtSidecarRate ? [round.floorAtSidecarRate] : [])),
    ),
    floorStreamAtSidecarRate: medianRecord(
      rounds.flatMap((round) =>
        round.floorStreamAtSidecarRate ? [round.floorStreamAtSidecarRate] : [],
      ),
    ),
    overload: medianByKey(
      rounds.map((round) => round.overload),
      "factor",
    ),
  };
}

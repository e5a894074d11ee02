import { cpuPerCallLabel, quotient } from "./ratios.mjs";

/**
 * The sidecar's CPU per call with one record in flight, split by the same run's floor: what a
 * bare node:http2 gRPC server costs per call (scenarios/grpc-floor.mjs) and what the sidecar
 * adds to it, with the model's own run beside it. Context for a cost target, never its
 * judgement: the target is judged on the sidecar's figure alone (ratios.mjs).
 * @typedef {object} FloorComparison
 * @property {string} target The label of the cost target it stands next to.
 * @property {"ModelInfer" | "ModelStreamInfer"} transport
 * @property {number | undefined} sidecarCpuMicrosPerCall
 * @property {number | undefined} sidecarCallsPerSecond
 * @property {number | undefined} floorCpuMicrosPerCall The bare node:http2 server's, its calls
 *   paced at the sidecar's calls/s: what the same calls cost without our code or a model.
 * @property {number | undefined} floorCallsPerSecond The rate the paced floor reached.
 * @property {number | undefined} sidecarOverFloor
 * @property {number | undefined} sidecarMinusFloor The sidecar's own part: our code, the model's
 *   run and the threads around it.
 * @property {number | undefined} flatOutFloorCpuMicrosPerCall The floor as fast as one call in
 *   flight goes: node:http2's least cost per call on this machine.
 * @property {number | undefined} flatOutFloorCallsPerSecond
 * @property {number | undefined} modelRunMicros onnxruntime's run of one row in the ceiling
 *   process, wall µs (1e6 ÷ its rows/s at batch 1): the model's part.
 */

/**
 * One comparison per transport of the small model's one-record-in-flight contenders; none
 * when the small model was not run.
 * @param {Partial<Record<import("../bench-options.mjs").ModelName, import("./median-figures.mjs").ModelRound>>} medians
 * @returns {FloorComparison[]}
 */
export function floorComparison({ small }) {
  if (small === undefined) return [];
  const batchOfOne = small.ceiling?.sweep.find((point) => point.batchSize === 1);
  const modelRunMicros = quotient(1e6, batchOfOne?.rowsPerSecond);
  return /** @type {const} */ ([
    ["ModelInfer", small.lowLoad, small.floorAtSidecarRate, small.floor],
    ["ModelStreamInfer", small.lowLoadStream, small.floorStreamAtSidecarRate, small.floorStream],
  ]).map(([transport, sidecar, floor, flatOut]) => {
    const sidecarCpu = sidecar?.sidecarCpuMicrosPerRow;
    const floorCpu = floor?.serverCpuMicrosPerCall;
    return {
      target: cpuPerCallLabel(transport),
      transport,
      sidecarCpuMicrosPerCall: sidecarCpu,
      sidecarCallsPerSecond: sidecar?.rowsPerSecond,
      floorCpuMicrosPerCall: floorCpu,
      floorCallsPerSecond: floor?.rowsPerSecond,
      sidecarOverFloor: quotient(sidecarCpu, floorCpu),
      sidecarMinusFloor:
        sidecarCpu === undefined || floorCpu === undefined ? undefined : sidecarCpu - floorCpu,
      flatOutFloorCpuMicrosPerCall: flatOut?.serverCpuMicrosPerCall,
      flatOutFloorCallsPerSecond: flatOut?.rowsPerSecond,
      modelRunMicros,
    };
  });
}

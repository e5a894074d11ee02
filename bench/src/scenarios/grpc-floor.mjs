import { startFloorServer } from "../floor-server-process.mjs";
import {
  cpuMicrosPerRow,
  measureTogether,
  warmupMs,
  withReadyProcesses,
} from "../measure-together.mjs";
import { forkMeasuredProcess } from "../measured-process.mjs";
import { workerTotals } from "../worker-totals.mjs";

const FLOOR_CLIENT = new URL("../processes/grpc-floor-client.mjs", import.meta.url);

/**
 * @typedef {import("../worker-totals.mjs").ThroughputFigures & {
 *   transport: "unary" | "stream",
 *   pacedPerSecond: number | undefined,
 *   serverMemoryBytes: number | undefined,
 *   serverCpuMicrosPerCall: number | undefined,
 *   clientCpuMicrosPerCall: number | undefined,
 * }} FloorFigures `rows` and `rowsPerSecond` count calls (one record each).
 */

/**
 * The floor of the sidecar's CPU per call: a bare node:http2 gRPC server answering the
 * sidecar's inference methods with pre-encoded answers (processes/grpc-floor-server.mjs),
 * driven with one call in flight by one bare node:http2 client process. Measured as the
 * sidecar's one-record-in-flight contender is (same sampler, warm-up and duration), so the
 * sidecar's CPU per call minus this is the part our code and the model add. A server's CPU per
 * call grows as calls come further apart (measured here, unary: ~200 µs per call at ~2,000
 * calls/s, the main thread waking ~1.1 times per call; ~770 µs at 280 calls/s, ~2.5 wake-ups
 * per call), so the floor also runs paced at the rate the sidecar itself reached with one record
 * in flight, which is the one to subtract.
 * @param {import("../bench-models.mjs").BenchModel} model The answers name its model and output.
 * @param {"unary" | "stream"} transport
 * @param {number} durationMs
 * @param {number | undefined} pacedPerSecond Calls started per second; flat out when undefined.
 * @returns {Promise<FloorFigures>}
 */
export async function runGrpcFloor(model, transport, durationMs, pacedPerSecond) {
  const server = await startFloorServer({
    modelName: model.modelName,
    outputName: model.outputName,
  });
  try {
    return await withReadyProcesses(
      1,
      /** @returns {import("../measured-process.mjs").MeasuredProcess<import("../worker-totals.mjs").WorkerResult>} */
      () =>
        forkMeasuredProcess(FLOOR_CLIENT, {
          socketPath: server.socketPath,
          modelName: model.modelName,
          inputName: model.inputName,
          transport,
          callsPerSecond: pacedPerSecond,
          warmupMs: warmupMs(durationMs),
          firstSeed: 0,
        }),
      async (processes) => {
        const { results, sample } = await measureTogether(processes, durationMs, {
          server: [server.pid],
          client: processes.map((process) => process.pid),
        });
        const totals = workerTotals(results);
        return {
          transport,
          pacedPerSecond,
          ...totals,
          serverMemoryBytes: sample.peakBytes.server,
          serverCpuMicrosPerCall: cpuMicrosPerRow(sample.cpuMs.server, totals.rows),
          clientCpuMicrosPerCall: cpuMicrosPerRow(sample.cpuMs.client, totals.rows),
        };
      },
    );
  } finally {
    await server.stop();
  }
}

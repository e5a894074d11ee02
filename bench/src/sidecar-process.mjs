import { spawnSidecar } from "@gpu-sidecar/sidecar-server/testing";

/** How long the sidecar may take to load its model and report `serving`. */
const START_TIMEOUT_MS = 120_000;
/** How long a drain may take after SIGTERM before the process is killed. */
const STOP_GRACE_MS = 10_000;

/**
 * @typedef {object} ModelCounts
 * @property {number} rows Rows inferred (the statistics' inference_count).
 * @property {number} batches Batches executed (execution_count).
 */

/**
 * @typedef {object} SidecarProcess
 * @property {number} pid
 * @property {string} endpoint The Unix socket as a client endpoint (`unix:///…`).
 * @property {() => Promise<ModelCounts>} counts The served model's counters, from REST stats.
 * @property {() => Promise<void>} stop SIGTERM (the sidecar drains), then waits for the exit.
 */

/**
 * Starts one `gpu-sidecar serve` process serving only `modelName` from `repository` on a fresh
 * Unix socket and a REST port chosen by the system (for its statistics), and resolves once the
 * model is ready. `nodeArgs` are Node's own flags (the profile script's `--cpu-prof`).
 * @param {{ repository: string, modelName: string, nodeArgs?: string[] }} options
 * @returns {Promise<SidecarProcess>}
 */
export async function startSidecarProcess({ repository, modelName, nodeArgs }) {
  const sidecar = spawnSidecar({
    modelRepository: repository,
    ...(nodeArgs === undefined ? {} : { nodeArgs }),
    startTimeoutMs: START_TIMEOUT_MS,
    args: [
      "--model-control-mode",
      "explicit",
      "--load-model",
      modelName,
      "--strict-model-load",
      "--grpc-port",
      "false",
    ],
  });
  const stop = async () => {
    await sidecar.stop(STOP_GRACE_MS);
  };
  const { httpUrl, unixUrl } = await sidecar.serving.catch(async (/** @type {unknown} */ error) => {
    await stop();
    throw error;
  });
  return {
    pid: sidecar.pid,
    endpoint: /** @type {string} */ (unixUrl),
    async counts() {
      const response = await fetch(`${httpUrl}/v2/models/${modelName}/stats`);
      if (!response.ok) throw new Error(`gpu-sidecar stats: HTTP ${response.status}`);
      /** @type {any} */
      const body = await response.json();
      const [stats] = body.model_stats;
      return { rows: stats.inference_count, batches: stats.execution_count };
    },
    stop,
  };
}

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** How long the sidecar may take to load its model and report `serving`. */
const START_TIMEOUT_MS = 120_000;
/** How long a drain may take after SIGTERM before the process is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** Log lines kept to explain a failed start. */
const LOG_TAIL = 20;

/** The `gpu-sidecar` command, found through the package's `bin` as an installed user would. */
function cliPath() {
  const manifestPath = fileURLToPath(
    import.meta.resolve("@gpu-sidecar/sidecar-server/package.json"),
  );
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  return join(dirname(manifestPath), manifest.bin["gpu-sidecar"]);
}

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
 * Starts one `gpu-sidecar serve` process serving `modelName` from `repository` on a fresh Unix
 * socket, TCP ports chosen by the system, and resolves once it logs `serving` with the model
 * ready.
 * `nodeArgs` go to node before the command (`--cpu-prof`, for the profile script); `env`
 * replaces the environment.
 * @param {{ repository: string, modelName: string, nodeArgs?: string[], env?: NodeJS.ProcessEnv }} options
 * @returns {Promise<SidecarProcess>}
 */
export async function startSidecarProcess({ repository, modelName, nodeArgs = [], env }) {
  // A short private directory: a socket path must fit in 107 bytes.
  const socketDir = mkdtempSync(join(tmpdir(), "gsb-"));
  const socketPath = join(socketDir, "sidecar.sock");
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      cliPath(),
      "serve",
      "--model-repository",
      repository,
      "--model-control-mode",
      "explicit",
      "--load-model",
      modelName,
      "--strict-model-load",
      "--http-port",
      "0",
      "--grpc-port",
      "0",
      "--metrics-port",
      "0",
      "--uds",
      socketPath,
    ],
    { stdio: ["ignore", "pipe", "pipe"], ...(env === undefined ? {} : { env }) },
  );
  const exited = once(child, "exit");
  /** @type {string[]} */
  const tail = [];
  const remember = (/** @type {string} */ line) => {
    tail.push(line);
    if (tail.length > LOG_TAIL) tail.shift();
  };
  createInterface({ input: /** @type {NonNullable<typeof child.stderr>} */ (child.stderr) }).on(
    "line",
    remember,
  );

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(socketDir, { recursive: true, force: true });
  };

  /** @type {number} */
  const httpPort = await new Promise((resolve, reject) => {
    /** @type {number | undefined} */
    let port;
    const timer = setTimeout(
      () => reject(new Error(`gpu-sidecar did not serve within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const failed = (/** @type {string} */ why) => {
      clearTimeout(timer);
      reject(new Error(`gpu-sidecar ${why}:\n${tail.join("\n")}`));
    };
    child.on("exit", (code, signal) =>
      failed(`exited (${signal ?? `code ${code}`}) while starting`),
    );
    createInterface({ input: /** @type {NonNullable<typeof child.stdout>} */ (child.stdout) }).on(
      "line",
      (line) => {
        remember(line);
        /** @type {any} */
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          return;
        }
        if (entry.msg === "listening") port = entry.http;
        if (entry.msg !== "serving") return;
        if (!entry.ready || port === undefined) return failed("started without the model ready");
        clearTimeout(timer);
        resolve(port);
      },
    );
  }).catch(async (/** @type {unknown} */ error) => {
    await stop();
    throw error;
  });

  return {
    pid: /** @type {number} */ (child.pid),
    endpoint: `unix://${socketPath}`,
    async counts() {
      const response = await fetch(`http://127.0.0.1:${httpPort}/v2/models/${modelName}/stats`);
      if (!response.ok) throw new Error(`gpu-sidecar stats: HTTP ${response.status}`);
      /** @type {any} */
      const body = await response.json();
      const [stats] = body.model_stats;
      return { rows: stats.inference_count, batches: stats.execution_count };
    },
    stop,
  };
}

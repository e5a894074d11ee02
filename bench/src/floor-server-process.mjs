import { fork } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FLOOR_SERVER = new URL("./processes/grpc-floor-server.mjs", import.meta.url);
/** The floor loads nothing: a server not listening by then is broken. */
const LISTEN_TIMEOUT_MS = 30_000;
/** How long the floor may take to exit once disconnected before it is killed. */
const EXIT_GRACE_MS = 5_000;

/**
 * @typedef {object} FloorServerProcess
 * @property {number} pid
 * @property {string} socketPath
 * @property {() => Promise<void>} stop
 */

/**
 * Forks the floor's bare node:http2 server (processes/grpc-floor-server.mjs) on a fresh Unix
 * socket in an owner-only directory, as the sidecar contender's sidecar listens, and resolves
 * once it listens.
 * @param {{ modelName: string, outputName: string }} answers What the pre-encoded answers name.
 * @returns {Promise<FloorServerProcess>}
 */
export async function startFloorServer({ modelName, outputName }) {
  const directory = mkdtempSync(join(tmpdir(), "gpu-sidecar-floor-"));
  const socketPath = join(directory, "floor.sock");
  const child = fork(FLOOR_SERVER, [JSON.stringify({ socketPath, modelName, outputName })], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = once(child, "exit");
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), EXIT_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the floor server did not listen within ${LISTEN_TIMEOUT_MS} ms`)),
        LISTEN_TIMEOUT_MS,
      );
      child.once("message", () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the floor server exited (${signal ?? `code ${code}`}) before listening`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: /** @type {number} */ (child.pid), socketPath, stop };
}

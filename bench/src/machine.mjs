import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

/**
 * @typedef {object} Machine
 * @property {string} date ISO 8601, when the run started.
 * @property {number} cores Logical CPUs.
 * @property {string} cpuModel
 * @property {number} memoryBytes
 * @property {string} os
 * @property {string} node
 * @property {string} onnxruntime onnxruntime-node's version.
 * @property {string | undefined} commit The checkout's commit, when it is a git checkout.
 */

/** @returns {Machine} */
export function describeMachine() {
  const ortManifest = JSON.parse(
    readFileSync(fileURLToPath(import.meta.resolve("onnxruntime-node/package.json")), "utf8"),
  );
  /** @type {string | undefined} */
  let commit;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: fileURLToPath(new URL(".", import.meta.url)),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    commit = undefined;
  }
  const processors = cpus();
  return {
    date: new Date().toISOString(),
    cores: processors.length,
    cpuModel: processors[0]?.model ?? "unknown",
    memoryBytes: totalmem(),
    os: `${process.platform} ${release()} ${process.arch}`,
    node: process.version,
    onnxruntime: ortManifest.version,
    commit,
  };
}

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";

// The real `gpu-sidecar` command and its bundled models, from the installed package.
const serverDir = dirname(
  createRequire(import.meta.url).resolve("@gpu-sidecar/sidecar-server/package.json"),
);
const manifest = JSON.parse(readFileSync(join(serverDir, "package.json"), "utf8"));
const CLI = join(serverDir, manifest.bin["gpu-sidecar"]);
const MODELS = join(serverDir, "models");

/**
 * Starts `gpu-sidecar serve` with the bundled fraud model on the Unix socket `socketPath`
 * (no TCP ports), standing for the GPU `gpuIndex` (`CUDA_VISIBLE_DEVICES`). Resolves once it
 * logs "serving", with its pid, its address and `stop(signal)`, which resolves on exit.
 */
export function startSidecar({ socketPath, gpuIndex }) {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "serve",
      "--model-repository",
      MODELS,
      "--model-control-mode",
      "explicit",
      "--load-model",
      "fraud",
      "--http-port",
      "false",
      "--grpc-port",
      "false",
      "--metrics-port",
      "false",
      "--uds",
      socketPath,
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, CUDA_VISIBLE_DEVICES: String(gpuIndex) },
    },
  );
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    void exited.then(({ code, signal }) =>
      reject(
        new Error(`the sidecar for GPU ${gpuIndex} exited (${signal ?? code}) before serving`),
      ),
    );
    createInterface({ input: child.stdout }).on("line", (line) => {
      let record;
      try {
        record = JSON.parse(line);
      } catch {
        return;
      }
      if (record.msg !== "serving") return;
      resolve({
        pid: child.pid,
        address: `unix://${socketPath}`,
        stop(signal) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}

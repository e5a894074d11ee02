// A real sidecar for the extender's process test, started as e2e/test/sidecar-process.ts does
// (the repository's one spawn helper for tests is meant to replace this when it lands).
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";

const serverDir = dirname(
  createRequire(import.meta.url).resolve("@gpu-sidecar/sidecar-server/package.json"),
);

/** `gpu-sidecar serve` with the bundled models on an ephemeral loopback gRPC port. */
export function startSidecar(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      join(serverDir, "dist/cli.js"),
      "serve",
      "--model-repository",
      join(serverDir, "models"),
      "--http-port",
      "false",
      "--metrics-port",
      "false",
      "--grpc-port",
      "0",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    let grpc: unknown;
    child.once("exit", (code) =>
      reject(new Error(`the sidecar exited with ${code} before serving`)),
    );
    createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on(
      "line",
      (line) => {
        let record: { msg?: unknown; grpc?: unknown };
        try {
          record = JSON.parse(line) as typeof record;
        } catch {
          return;
        }
        if (record.msg === "listening") grpc = record.grpc;
        if (record.msg === "serving") resolve({ url: `http://127.0.0.1:${String(grpc)}`, child });
      },
    );
  });
}

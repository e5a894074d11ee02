import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";

// The real sidecar, from the devDependency's package: its `bin` and its bundled models.
const serverDir = dirname(
  createRequire(import.meta.url).resolve("@gpu-sidecar/sidecar-server/package.json"),
);
const bin = (
  JSON.parse(readFileSync(join(serverDir, "package.json"), "utf8")) as {
    bin: Record<string, string>;
  }
).bin["gpu-sidecar"];
const CLI = join(serverDir, bin ?? "dist/cli.js");
export const MODELS = join(serverDir, "models");

export interface SidecarProcess {
  /** `unix://<socket>` */
  readonly unixUrl: string;
  /** `http://127.0.0.1:<grpc port>` */
  readonly tcpUrl: string;
  /** SIGKILLs the process; resolves once it is gone. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every sidecar still running; for `afterEach`. */
export function killAllSidecars(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/**
 * Runs `gpu-sidecar serve` on the bundled model repository with an ephemeral gRPC port and
 * the Unix socket `socket`; resolves once it logs "serving" (every model loaded).
 */
export function startSidecar(socket: string): Promise<SidecarProcess> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "serve",
      "--model-repository",
      MODELS,
      "--http-port",
      "false",
      "--grpc-port",
      "0",
      "--metrics-port",
      "false",
      "--uds",
      socket,
      "--log-level",
      "info",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let grpc: unknown;
    child.once("exit", (code) => reject(new Error(`sidecar exited with ${code} before serving`)));
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
        if (record.msg !== "serving") return;
        resolve({
          unixUrl: `unix://${socket}`,
          tcpUrl: `http://127.0.0.1:${String(grpc)}`,
          kill() {
            child.kill("SIGKILL");
            running.delete(child);
            return exited;
          },
        });
      },
    );
  });
}

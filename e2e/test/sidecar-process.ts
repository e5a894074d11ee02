import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";

// The real sidecar, from the installed package: its `bin` and its bundled models.
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
  /** `http://127.0.0.1:<http port>` (REST v2) with the option `http`, else undefined. */
  readonly httpUrl: string | undefined;
  /** `http://127.0.0.1:<metrics port>/metrics` (Prometheus) with the option `metrics`, else undefined. */
  readonly metricsUrl: string | undefined;
  /** SIGKILLs the process; resolves once it is gone. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every sidecar still running; for `afterEach`. */
export function killAllSidecars(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

export interface SidecarProcessOptions {
  /** The model repository to serve; the bundled MODELS by default. */
  readonly modelRepository?: string;
  /** Also open the REST port, on an ephemeral port (`httpUrl`). */
  readonly http?: boolean;
  /** Also open the Prometheus metrics port, on an ephemeral port (`metricsUrl`). */
  readonly metrics?: boolean;
}

/**
 * Runs `gpu-sidecar serve` on the bundled model repository (or `options.modelRepository`) with
 * an ephemeral gRPC port and the Unix socket `socket`; resolves once it logs "serving" (every
 * model loaded).
 */
export function startSidecar(
  socket: string,
  options: SidecarProcessOptions = {},
): Promise<SidecarProcess> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "serve",
      "--model-repository",
      options.modelRepository ?? MODELS,
      "--http-port",
      options.http === true ? "0" : "false",
      "--grpc-port",
      "0",
      "--metrics-port",
      options.metrics === true ? "0" : "false",
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
    let ports: { http?: unknown; grpc?: unknown; metrics?: unknown } = {};
    child.once("exit", (code) => reject(new Error(`sidecar exited with ${code} before serving`)));
    createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on(
      "line",
      (line) => {
        let record: { msg?: unknown; http?: unknown; grpc?: unknown; metrics?: unknown };
        try {
          record = JSON.parse(line) as typeof record;
        } catch {
          return;
        }
        if (record.msg === "listening") ports = record;
        if (record.msg !== "serving") return;
        resolve({
          unixUrl: `unix://${socket}`,
          tcpUrl: `http://127.0.0.1:${String(ports.grpc)}`,
          httpUrl: ports.http === undefined ? undefined : `http://127.0.0.1:${String(ports.http)}`,
          metricsUrl:
            ports.metrics === undefined
              ? undefined
              : `http://127.0.0.1:${String(ports.metrics)}/metrics`,
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

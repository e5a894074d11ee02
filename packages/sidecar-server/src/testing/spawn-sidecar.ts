import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The `gpu-sidecar` command of this package (this file is built beside it in `dist/`). */
const CLI = fileURLToPath(new URL("./cli.js", import.meta.url));

/** The demo model repository bundled with the package: `fraud` (ONNX) and `fraud-mock`. */
export const BUNDLED_MODEL_REPOSITORY: string = fileURLToPath(
  new URL("../models", import.meta.url),
);

/** Output lines kept to explain a sidecar that fails to start or stop. */
const KEPT_OUTPUT_LINES = 40;
const DEFAULT_START_TIMEOUT_MS = 60_000;
const DEFAULT_STOP_GRACE_MS = 10_000;

/** One line of the sidecar's log: pino writes one JSON object per line on stdout. */
export type SidecarLogRecord = Readonly<Record<string, unknown>> & {
  readonly msg?: string;
  readonly level?: number;
};

/** Where a started sidecar listens, from its `listening` log line (so port 0 works). */
export interface SpawnedSidecarAddresses {
  /** The address the TCP listeners bound (`server.host`). */
  readonly host: string;
  /** REST v2 and Connect over HTTP/1.1, e.g. `http://127.0.0.1:8000`; undefined when off. */
  readonly httpUrl: string | undefined;
  /** gRPC, gRPC-Web and Connect over cleartext HTTP/2; undefined when off. */
  readonly grpcUrl: string | undefined;
  /** The Prometheus scrape URL (`…/metrics`); undefined when off. */
  readonly metricsUrl: string | undefined;
  /** The Unix socket path; undefined when off. */
  readonly socketPath: string | undefined;
  /** The Unix socket as a client endpoint, `unix:///…`; undefined when off. */
  readonly unixUrl: string | undefined;
}

/** How the process ended. */
export interface SidecarExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when it did not exit within the grace period after SIGTERM and was SIGKILLed. */
  readonly forced: boolean;
}

export interface SpawnSidecarOptions {
  /**
   * Flags after `gpu-sidecar serve`. They come after the defaults (bundled models, HTTP and gRPC
   * on free loopback ports, metrics off, log level info, a socket in a fresh private
   * directory), so any flag given here wins, e.g. `["--metrics-port", "0"]`.
   */
  readonly args?: readonly string[];
  /** The model repository; the bundled demo repository by default, `false` to pass none (a config file gives it). */
  readonly modelRepository?: string | false;
  /** The Unix socket path; by default one in a fresh private directory, removed on stop; `false` for none. */
  readonly uds?: string | false;
  /** The environment of the process; `process.env` by default. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Node's own flags, before the CLI: those NODE_OPTIONS refuses, such as `--cpu-prof`, go here.
   */
  readonly nodeArgs?: readonly string[];
  /** The working directory, against which relative paths in `args` resolve; the caller's by default. */
  readonly cwd?: string;
  /** How long `listening` and `serving` may take before the start counts as failed; 60 s by default. */
  readonly startTimeoutMs?: number;
  /** Runs the sidecar in its own process group, so a Ctrl-C at the terminal reaches the caller only. */
  readonly detached?: boolean;
  /** Every log record (stderr lines arrive as `{ level: 50, msg }`). */
  readonly onLog?: (record: SidecarLogRecord) => void;
}

/** A `gpu-sidecar serve` process started by {@link spawnSidecar}. */
export interface SpawnedSidecar {
  readonly pid: number;
  /** Resolves once the sidecar logs `listening` (its listeners are open, models may still load). */
  readonly listening: Promise<SpawnedSidecarAddresses>;
  /**
   * Resolves with the same addresses once the sidecar logs `serving`: every model's load was
   * attempted (`waitForLog("serving")` gives the record, with `ready` and the `failed` models).
   */
  readonly serving: Promise<SpawnedSidecarAddresses>;
  /** Resolves when the process has exited and its output has been read. */
  readonly exited: Promise<SidecarExit>;
  /** Whether the process still runs. */
  readonly running: boolean;
  /** Every JSON log record so far. */
  readonly logs: readonly SidecarLogRecord[];
  /** Resolves with the first record whose `msg` is `msg` (earlier ones included); rejects if the process exits first. */
  waitForLog(msg: string): Promise<SidecarLogRecord>;
  /** The last lines of its stdout and stderr, for error messages. */
  recentOutput(): string;
  /**
   * SIGTERM (the sidecar drains, removes its socket and exits 0), then SIGKILL after `graceMs`
   * (10 s by default). Idempotent: every call resolves with the same exit. Removes the socket
   * directory it created.
   */
  stop(graceMs?: number): Promise<SidecarExit>;
  /** SIGKILL at once, synchronously: the last resort of an `exit` handler. */
  kill(): void;
}

const running = new Set<SpawnedSidecar>();

/** Stops every sidecar this module started that still runs (for an `afterEach`). */
export async function stopAllSidecars(graceMs?: number): Promise<void> {
  await Promise.all([...running].map((sidecar) => sidecar.stop(graceMs)));
}

function urlHost(host: string): string {
  // A wildcard bind is reached on loopback; IPv6 literals need brackets in a URL.
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

function addressesOf(record: SidecarLogRecord): SpawnedSidecarAddresses {
  const host = typeof record.host === "string" ? record.host : "127.0.0.1";
  const hosts = (
    typeof record.hosts === "object" && record.hosts !== null ? record.hosts : {}
  ) as Readonly<Record<string, unknown>>;
  // A listener with its own address (`--metrics-address`) is reached there.
  const url = (listener: "http" | "grpc" | "metrics", path = "") => {
    const port = record[listener];
    const own = hosts[listener];
    const bound = typeof own === "string" ? own : host;
    return typeof port === "number" ? `http://${urlHost(bound)}:${port}${path}` : undefined;
  };
  const socketPath = typeof record.uds === "string" ? record.uds : undefined;
  return {
    host,
    httpUrl: url("http"),
    grpcUrl: url("grpc"),
    metricsUrl: url("metrics", "/metrics"),
    socketPath,
    unixUrl: socketPath === undefined ? undefined : `unix://${socketPath}`,
  };
}

/**
 * Spawns `gpu-sidecar serve` from this package, as a user's own tests would run it. The
 * returned handle exists at once (its `pid` is known); await `listening` for the addresses or
 * `serving` for the models. The two log lines it waits for are a contract of the CLI (see the
 * package README, "Log lines"). Rejections say why, with the last lines of output.
 */
export function spawnSidecar(options: SpawnSidecarOptions = {}): SpawnedSidecar {
  // A short private directory: a socket path must fit in 107 bytes.
  const socketDir =
    options.uds === undefined ? mkdtempSync(join(tmpdir(), "gpu-sidecar-")) : undefined;
  const uds = socketDir === undefined ? options.uds : join(socketDir, "sidecar.sock");
  const args = [
    ...(options.nodeArgs ?? []),
    CLI,
    "serve",
    ...(options.modelRepository === false
      ? []
      : ["--model-repository", options.modelRepository ?? BUNDLED_MODEL_REPOSITORY]),
    "--http-port",
    "0",
    "--grpc-port",
    "0",
    "--metrics-port",
    "false",
    // The lines waited for are at level info; GPU_SIDECAR_LOG_LEVEL=warn must not hide them.
    "--log-level",
    "info",
    "--uds",
    uds === false || uds === undefined ? "false" : uds,
    ...(options.args ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    detached: options.detached === true,
  });

  const output: string[] = [];
  const keep = (line: string) => {
    output.push(line);
    if (output.length > KEPT_OUTPUT_LINES) output.shift();
  };
  const recentOutput = () => output.join("\n");

  let isRunning = child.pid !== undefined;
  let forced = false;
  const exited = new Promise<SidecarExit>((resolve) => {
    // "close" rather than "exit": its last output lines have been read by then.
    child.once("close", (code, signal) => resolve({ code, signal, forced }));
    // A process that could not be spawned has no exit to wait for.
    child.once("error", () => {
      if (child.pid === undefined) resolve({ code: null, signal: null, forced });
    });
  }).then((exit) => {
    isRunning = false;
    running.delete(handle);
    if (socketDir !== undefined) rmSync(socketDir, { recursive: true, force: true });
    return exit;
  });

  const logs: SidecarLogRecord[] = [];
  const waiters: { msg: string; resolve: (record: SidecarLogRecord) => void }[] = [];
  const record = (entry: SidecarLogRecord) => {
    logs.push(entry);
    for (let index = waiters.length - 1; index >= 0; index--) {
      const waiter = waiters[index];
      if (waiter === undefined || waiter.msg !== entry.msg) continue;
      waiters.splice(index, 1);
      waiter.resolve(entry);
    }
    options.onLog?.(entry);
  };
  createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on(
    "line",
    (line) => {
      keep(line);
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        options.onLog?.({ level: 30, msg: line });
        return;
      }
      if (typeof entry === "object" && entry !== null) record(entry as SidecarLogRecord);
    },
  );
  createInterface({ input: child.stderr as NonNullable<typeof child.stderr> }).on(
    "line",
    (line) => {
      keep(line);
      options.onLog?.({ level: 50, msg: line });
    },
  );

  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  const waitForLog = (msg: string) =>
    new Promise<SidecarLogRecord>((resolve, reject) => {
      const seen = logs.find((entry) => entry.msg === msg);
      if (seen !== undefined) {
        resolve(seen);
        return;
      }
      waiters.push({ msg, resolve });
      void exited.then(({ code, signal }) =>
        reject(
          new Error(
            `gpu-sidecar exited (${signal ?? `code ${code}`}) before logging "${msg}"` +
              `${spawnError === undefined ? "" : `: ${spawnError.message}`}:\n${recentOutput()}`,
          ),
        ),
      );
    });

  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const withinStart = <T>(promise: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `gpu-sidecar did not log "${what}" within ${startTimeoutMs} ms:\n${recentOutput()}`,
            ),
          ),
        startTimeoutMs,
      );
      timer.unref();
    });
    const raced = Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
    // Nobody may be waiting for it (a test that only needs `listening`): no unhandled rejection.
    raced.catch(() => {});
    return raced;
  };
  const listening = withinStart(waitForLog("listening").then(addressesOf), "listening");
  const serving = withinStart(
    waitForLog("serving").then(() => listening),
    "serving",
  );

  let stopping: Promise<SidecarExit> | undefined;
  const handle: SpawnedSidecar = {
    pid: child.pid ?? -1,
    listening,
    serving,
    exited,
    get running() {
      return isRunning;
    },
    logs,
    waitForLog,
    recentOutput,
    stop(graceMs = DEFAULT_STOP_GRACE_MS) {
      stopping ??= (async () => {
        if (!isRunning) return exited;
        child.kill("SIGTERM");
        const timer = setTimeout(() => {
          forced = true;
          child.kill("SIGKILL");
        }, graceMs);
        const exit = await exited;
        clearTimeout(timer);
        return exit;
      })();
      return stopping;
    },
    kill() {
      if (isRunning && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
      }
    },
  };
  if (isRunning) running.add(handle);
  return handle;
}

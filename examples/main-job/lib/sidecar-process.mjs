import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";

/** Log lines kept to explain a sidecar that fails to start or stop. */
const KEPT_LOG_LINES = 40;

/**
 * Where the installed `@gpu-sidecar/sidecar-server` keeps its `gpu-sidecar` command (its
 * package.json `bin`) and its bundled demo model repository.
 */
export function locateSidecarServer() {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve("@gpu-sidecar/sidecar-server/package.json");
  const packageDir = dirname(manifestPath);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.["gpu-sidecar"];
  if (typeof bin !== "string") {
    throw new Error(`${manifestPath} declares no gpu-sidecar bin`);
  }
  const cli = resolve(packageDir, bin);
  if (!existsSync(cli)) {
    throw new Error(
      `${cli} does not exist: build the packages first (npx pnpm@12.4.2 build, or npx pnpm@12.4.2 start from the repository root)`,
    );
  }
  return { cli, modelRepository: resolve(packageDir, "models") };
}

/**
 * Spawns `gpu-sidecar serve` serving only `model` from the bundled repository, on the Unix
 * socket `socketPath` and a loopback REST port chosen by the system (for its statistics); gRPC
 * TCP and metrics ports are off. It runs in its own process group, so a Ctrl-C at the terminal
 * reaches this process only, which then stops the sidecar itself.
 */
export function spawnSidecar({ socketPath, model, onLog }) {
  const { cli, modelRepository } = locateSidecarServer();
  const child = spawn(
    process.execPath,
    [
      cli,
      "serve",
      "--model-repository",
      modelRepository,
      "--model-control-mode",
      "explicit",
      "--load-model",
      model,
      "--strict-model-load",
      "--host",
      "127.0.0.1",
      "--http-port",
      "0",
      "--grpc-port",
      "false",
      "--metrics-port",
      "false",
      "--uds",
      socketPath,
    ],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const recentLog = [];
  const keep = (line) => {
    recentLog.push(line);
    if (recentLog.length > KEPT_LOG_LINES) recentLog.shift();
  };

  const exited = new Promise((resolveExit) => {
    // "close" rather than "exit": its last log lines have been read by then.
    child.once("close", (code, signal) => resolveExit({ code, signal }));
    // A process that could not be spawned has no exit to wait for.
    child.once("error", () => {
      if (child.pid === undefined) resolveExit({ code: null, signal: null });
    });
  });
  let running = true;
  void exited.then(() => {
    running = false;
  });

  let onListening;
  let onSpawnError;
  const listening = new Promise((resolveListening, rejectListening) => {
    onListening = resolveListening;
    onSpawnError = rejectListening;
  });
  // Nobody may be waiting for it (an interrupted start): that is no unhandled rejection.
  listening.catch(() => {});
  child.once("error", (error) => onSpawnError(error));
  void exited.then(({ code, signal }) =>
    onSpawnError(
      new Error(
        `the sidecar exited (${signal ?? `code ${code}`}) before it listened:\n${recentLog.join("\n")}`,
      ),
    ),
  );

  // pino writes one JSON object per line on stdout.
  createInterface({ input: child.stdout }).on("line", (line) => {
    keep(line);
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      onLog?.({ level: 30, msg: line });
      return;
    }
    if (entry.msg === "listening" && typeof entry.http === "number") {
      onListening({ httpUrl: `http://127.0.0.1:${entry.http}`, uds: entry.uds });
    }
    onLog?.(entry);
  });
  createInterface({ input: child.stderr }).on("line", (line) => {
    keep(line);
    onLog?.({ level: 50, msg: line });
  });

  return {
    pid: child.pid,
    /** Resolves with the REST base URL once the listeners are open (not yet ready). */
    listening,
    /** Resolves with `{ code, signal }` when the process has exited. */
    exited,
    get running() {
      return running;
    },
    /** The last lines the sidecar wrote, for error messages. */
    recentLog: () => recentLog.join("\n"),
    /**
     * SIGTERM (the sidecar drains, removes its socket and exits 0), then SIGKILL if it has not
     * exited within `graceMs`. Resolves with how it exited.
     */
    async stop(graceMs) {
      if (running) child.kill("SIGTERM");
      let timer;
      const outcome = await Promise.race([
        exited,
        new Promise((resolveTimeout) => {
          timer = setTimeout(() => resolveTimeout(undefined), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (outcome !== undefined) return outcome;
      child.kill("SIGKILL");
      return { ...(await exited), forced: true };
    },
    /** Synchronous last resort for exit handlers. */
    killNow() {
      if (running && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";

const INSTALL_HINT =
  "redis-server is not installed: on Debian or Ubuntu run `apt-get install -y redis-server` (as root), then run this again";

/**
 * Starts a private `redis-server` on a Unix socket in `dir` (owner-only, no TCP port, no
 * persistence) and resolves once it answers PING. `stop()` shuts it down.
 */
export async function startRedisServer(dir) {
  if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).error !== undefined) {
    throw new Error(INSTALL_HINT);
  }
  const socketPath = join(dir, "redis.sock");
  const child = spawn(
    "redis-server",
    [
      "--port",
      "0",
      "--unixsocket",
      socketPath,
      "--unixsocketperm",
      "700",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--loglevel",
      "warning",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (part) => {
    stderr += part;
  });
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = `unix://${socketPath}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}`);
    const probe = createClient({ socket: { path: socketPath, reconnectStrategy: false } });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      await probe.close();
      break;
    } catch {
      if (attempt > 100) {
        child.kill("SIGKILL");
        throw new Error(`redis-server did not answer on ${socketPath} within 5 s: ${stderr}`);
      }
      await sleep(50);
    }
  }
  return {
    socketPath,
    url,
    /** A connected client of this server. */
    async connect() {
      const client = createClient({ socket: { path: socketPath } });
      client.on("error", () => {});
      await client.connect();
      return client;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

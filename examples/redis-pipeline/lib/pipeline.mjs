import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { spawnSidecar } from "@gpu-sidecar/sidecar-server/testing";
import { startRedisServer } from "./redis-server.mjs";
import { sqlReport } from "./sql-report.mjs";
import { GROUP, RESULTS, STREAM } from "./stream-names.mjs";

const here = dirname(dirname(fileURLToPath(import.meta.url)));

/** A sidecar serving only the fraud model on `socketPath`, once it is ready. */
async function startReadySidecar(socketPath) {
  const sidecar = spawnSidecar({
    uds: socketPath,
    args: [
      "--model-control-mode",
      "explicit",
      "--load-model",
      "fraud",
      "--strict-model-load",
      "--grpc-port",
      "false",
    ],
  });
  await sidecar.serving;
  return sidecar;
}

function startNode(script, args, onEvent) {
  const child = spawn(process.execPath, [join(here, script), ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    try {
      onEvent(JSON.parse(line));
    } catch {
      onEvent({ event: "log", line });
    }
  });
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, exited };
}

async function pendingOf(client, consumer) {
  const summary = await client.xPending(STREAM, GROUP);
  const entry = (summary.consumers ?? []).find((c) => c.name === consumer);
  return Number(entry?.deliveriesCounter ?? 0);
}

/**
 * The whole pipeline: a private redis-server, a sidecar, a producer process writing `messages`
 * transactions to a stream, `workers` worker processes in one consumer group, and the SQL step.
 * With `chaos`, worker 0 is SIGKILLed at a quarter of the results and the sidecar restarted at
 * half: the others claim the dead worker's entries and every call retries across the restart.
 * Resolves with every result read back from Redis and what happened.
 */
export async function runPipeline({
  messages,
  workers,
  chaos = false,
  batchRows = 1000,
  onProgress,
}) {
  const dir = mkdtempSync(join(tmpdir(), "redis-pipeline-"));
  const sidecarSocket = join(dir, "sidecar.sock");
  const cleanup = [];
  try {
    const redis = await startRedisServer(dir);
    cleanup.push(() => redis.stop());
    let sidecar = await startReadySidecar(sidecarSocket);
    cleanup.push(() => sidecar.stop(10_000));
    const client = await redis.connect();
    cleanup.push(() => client.close());
    await client.xGroupCreate(STREAM, GROUP, "0", { MKSTREAM: true });

    const events = [];
    let ready = 0;
    let allReady;
    const everyoneReady = new Promise((resolve) => {
      allReady = resolve;
    });
    const onEvent = (event) => {
      events.push(event);
      if (event.event === "ready" && ++ready === workers + 1) allReady();
    };
    const producer = startNode(
      "producer.mjs",
      ["--redis", redis.socketPath, "--messages", String(messages)],
      onEvent,
    );
    const pool = Array.from({ length: workers }, (_, i) =>
      startNode(
        "worker.mjs",
        [
          "--redis",
          redis.socketPath,
          "--sidecar",
          `unix://${sidecarSocket}`,
          "--consumer",
          `worker-${i}`,
          "--claim-idle-ms",
          "2000",
        ],
        onEvent,
      ),
    );
    cleanup.push(() => producer.child.kill("SIGKILL"));
    // The clock starts when every process is connected: process start-up is not throughput.
    await Promise.race([
      everyoneReady,
      Promise.race([producer, ...pool].map((p) => p.exited)).then(() => {
        throw new Error("a producer or worker process exited before it was ready");
      }),
    ]);
    const started = performance.now();
    producer.child.stdin.end("go\n");
    cleanup.push(() => {
      for (const worker of pool) worker.child.kill("SIGKILL");
    });
    let killedWorker = false;
    let sidecarRestarts = 0;
    for (;;) {
      const done = await client.hLen(RESULTS);
      onProgress?.({ scored: done, messages, elapsedMs: performance.now() - started });
      if (done >= messages) break;
      // Killed while it holds unacknowledged entries, so that others must claim them.
      if (
        chaos &&
        !killedWorker &&
        done >= messages / 4 &&
        (await pendingOf(client, "worker-0")) > 0
      ) {
        killedWorker = true;
        pool[0].child.kill("SIGKILL");
      }
      if (chaos && sidecarRestarts === 0 && done >= messages / 2) {
        sidecarRestarts++;
        await sidecar.stop(10_000);
        sidecar = await startReadySidecar(sidecarSocket);
      }
      const exits = pool.filter((w, i) => !(chaos && i === 0) && w.child.exitCode !== null);
      if (exits.length > 0)
        throw new Error(`a worker exited before the end (code ${exits[0].child.exitCode})`);
      await sleep(50);
    }
    const elapsedMs = performance.now() - started;
    await producer.exited;
    for (const worker of pool) worker.child.kill("SIGTERM");
    const exits = await Promise.all(pool.map((worker) => worker.exited));

    const pendingSummary = await client.xPending(STREAM, GROUP);
    const stored = await client.hGetAll(RESULTS);
    const rows = Object.entries(stored).map(([messageId, json]) => ({
      messageId,
      ...JSON.parse(json),
    }));
    const report = await sqlReport({
      rows,
      sidecarUrl: `unix://${sidecarSocket}`,
      batchRows: Math.min(batchRows, messages),
    });
    return {
      rows,
      elapsedMs,
      rowsPerSecond: messages / (elapsedMs / 1000),
      pending: Number(pendingSummary.pending),
      killedWorker,
      sidecarRestarts,
      workerExits: exits,
      claimed: events.filter((e) => e.event === "done").reduce((sum, e) => sum + e.claimed, 0),
      report,
    };
  } finally {
    for (const step of cleanup.reverse()) await step();
    rmSync(dir, { recursive: true, force: true });
  }
}

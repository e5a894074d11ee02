// The main job: one gpu-sidecar process with the bundled fraud model on a Unix socket, and
// several streaming workers (worker threads, worker.mjs) scoring synthetic transactions through
// asyncInference into it. Shows live throughput, the sidecar's batch size and latency, then a
// summary whose scores are checked against the JavaScript reference model, and stops the
// sidecar the way an orchestrator would: SIGTERM, drain, exit 0, socket removed.
import { existsSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import { createSidecarClient } from "@gpu-sidecar/async-inference";
import {
  FRAUD_FEATURE_COUNT,
  fraudScore,
  syntheticTransaction,
} from "@gpu-sidecar/sidecar-server/demo-model";
import { spawnSidecar } from "@gpu-sidecar/sidecar-server/testing";
import { batchingBetween, fetchModelStatistics } from "./lib/model-statistics.mjs";
import { parseOptions, USAGE, UsageError } from "./lib/options.mjs";
import { percentile, sortedConcat } from "./lib/percentile.mjs";
import { createProgressLine } from "./lib/progress-line.mjs";
import { createRunControl, isStopped, stopRun } from "./lib/run-control.mjs";

const MODEL = "fraud";
/** Largest difference allowed between the sidecar's score and the JavaScript reference. */
const TOLERANCE = 1e-5;
const TOLERANCE_TEXT = "1e-5";
const SAMPLES_SHOWN = 5;
const READY_TIMEOUT_MS = 60_000;
const DRAIN_GRACE_MS = 20_000;
/** A record's deadline, first attempt through last retry. */
const RECORD_TIMEOUT_MS = 10_000;
const EXIT_INTERRUPTED = 130;

const out = process.stdout;
const log = (line = "") => out.write(`${line}\n`);

/** Resources to release however the process ends (error, Ctrl-C, a second Ctrl-C). */
const owned = { sidecar: undefined, tempDir: undefined, workers: [] };

/** Synchronous cleanup for `exit` and for a second Ctrl-C: nothing may outlive this process. */
function releaseNow() {
  owned.sidecar?.kill();
  if (owned.tempDir !== undefined) rmSync(owned.tempDir, { recursive: true, force: true });
}
process.on("exit", releaseNow);

const interrupt = new AbortController();
let control;
function onSignal(signal) {
  if (interrupt.signal.aborted) {
    process.stderr.write(`\n${signal} again: killing the sidecar without draining\n`);
    releaseNow();
    process.exit(EXIT_INTERRUPTED);
  }
  process.stderr.write(
    `\n${signal}: stopping after the records in flight (again to quit at once)\n`,
  );
  interrupt.abort(new Error(`interrupted by ${signal}`));
  if (control !== undefined) stopRun(control);
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const ms = (value) => (Number.isNaN(value) ? "n/a" : `${value.toFixed(1)} ms`);
const rows = (value) => (Number.isNaN(value) ? "n/a" : `${value.toFixed(1)} rows`);

/** Polls ModelReady over the Unix socket until the model is loaded. */
async function waitUntilReady(sidecar, socketPath) {
  const client = createSidecarClient({ endpoint: `unix://${socketPath}` });
  const deadline = performance.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      interrupt.signal.throwIfAborted();
      if (!sidecar.running) {
        throw new Error(`the sidecar exited before it was ready:\n${sidecar.recentOutput()}`);
      }
      try {
        if (await client.ready(MODEL, { timeoutMs: 1_000 })) return;
      } catch {
        // Not answering yet: poll again.
      }
      if (performance.now() > deadline) {
        throw new Error(
          `model ${MODEL} was not ready after ${READY_TIMEOUT_MS} ms:\n${sidecar.recentOutput()}`,
        );
      }
      await sleep(100);
    }
  } finally {
    await client.close();
  }
}

/**
 * Starts the workers, waits until each has loaded, then lets them stream together until the
 * run's limit; `onTick` refreshes the live line. Resolves with every latency chunk, the samples
 * and the streaming time.
 */
async function runWorkers({ options, socketPath, onTick, tickMs }) {
  control = createRunControl();
  if (interrupt.signal.aborted) stopRun(control);
  const failures = [];
  const samples = [];
  const chunks = [];
  let intervalChunks = [];
  let scored = 0;

  const fail = (message) => {
    failures.push(message);
    stopRun(control);
  };
  const workerData = {
    socketPath,
    model: MODEL,
    control,
    records: options.records,
    capacity: options.capacity,
    batchRows: options.batchRows,
    timeoutMs: RECORD_TIMEOUT_MS,
  };
  const ready = [];
  const exited = [];
  for (let index = 0; index < options.workers; index++) {
    const worker = new Worker(new URL("./worker.mjs", import.meta.url), { workerData });
    owned.workers.push(worker);
    ready.push(
      new Promise((resolve) => {
        worker.on("message", (message) => {
          switch (message.type) {
            case "ready":
              resolve();
              break;
            case "progress":
              chunks.push(message.latencies);
              intervalChunks.push(message.latencies);
              scored += message.latencies.length;
              break;
            case "done":
              samples.push(...message.sample);
              break;
            case "failed":
              fail(`worker ${index}: ${message.message}`);
              break;
          }
        });
        // A worker that dies while loading never says ready: do not wait for it.
        worker.once("exit", resolve);
      }),
    );
    exited.push(
      new Promise((resolve) => {
        worker.once("error", (error) => fail(`worker ${index}: ${error.stack ?? error}`));
        worker.once("exit", (code) => {
          if (code !== 0) fail(`worker ${index} exited with code ${code}`);
          resolve();
        });
      }),
    );
  }
  await Promise.all(ready);

  const startedAt = performance.now();
  for (const worker of owned.workers) worker.postMessage({ type: "start" });
  const limit = Number.isFinite(options.durationMs)
    ? setTimeout(() => stopRun(control), options.durationMs)
    : undefined;
  let lastTick = startedAt;
  // The refresh in progress: the summary waits for it, so no live line follows the summary.
  let tick;
  const ticker = setInterval(() => {
    if (tick !== undefined || isStopped(control)) return;
    const now = performance.now();
    const interval = sortedConcat(intervalChunks);
    intervalChunks = [];
    tick = onTick({
      elapsedMs: now - startedAt,
      scored,
      intervalRecords: interval.length,
      intervalMs: now - lastTick,
      intervalP99: percentile(interval, 99),
    }).finally(() => {
      lastTick = now;
      tick = undefined;
    });
  }, tickMs);

  await Promise.all(exited);
  const streamingMs = performance.now() - startedAt;
  clearInterval(ticker);
  clearTimeout(limit);
  await tick;
  owned.workers = [];
  if (failures.length > 0) {
    throw new Error(`the stream failed:\n  ${failures.join("\n  ")}`);
  }
  return { chunks, samples, streamingMs, scored };
}

/** Scores the sampled transactions with the JavaScript reference and compares. */
function checkAgainstReference(samples) {
  const features = new Float32Array(samples.length * FRAUD_FEATURE_COUNT);
  samples.forEach(({ seed }, index) => {
    features.set(syntheticTransaction(seed), index * FRAUD_FEATURE_COUNT);
  });
  const expected = fraudScore(features, samples.length);
  return samples
    .map((sample, index) => {
      const reference = expected[index];
      return { ...sample, reference, difference: Math.abs(sample.score - reference) };
    })
    .sort((a, b) => a.seed - b.seed);
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`main-job: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    log(USAGE);
    return 0;
  }

  owned.tempDir = await mkdtemp(join(tmpdir(), "gpu-sidecar-main-job-"));
  const socketPath = join(owned.tempDir, "sidecar.sock");
  const progress = createProgressLine(out);
  let failed = false;
  let ready = false;
  try {
    const spawnedAt = performance.now();
    // Only the fraud model, on the socket and a loopback REST port (for its statistics); its own
    // process group, so a Ctrl-C at the terminal reaches this job, which then drains the sidecar.
    const sidecar = spawnSidecar({
      uds: socketPath,
      args: [
        "--model-control-mode",
        "explicit",
        "--load-model",
        MODEL,
        "--strict-model-load",
        "--host",
        "127.0.0.1",
        "--grpc-port",
        "false",
      ],
      startTimeoutMs: READY_TIMEOUT_MS,
      detached: true,
      onLog: (entry) => {
        // Warnings and errors of the sidecar are worth seeing; its info lines are not.
        if (typeof entry.level === "number" && entry.level >= 40) {
          progress.finish();
          process.stderr.write(`sidecar: ${entry.msg ?? JSON.stringify(entry)}\n`);
        }
      },
    });
    owned.sidecar = sidecar;
    log(`sidecar pid ${sidecar.pid} starting on unix://${socketPath}`);
    const { httpUrl } = await Promise.race([
      sidecar.listening,
      new Promise((_, reject) => {
        interrupt.signal.addEventListener("abort", () => reject(interrupt.signal.reason), {
          once: true,
        });
      }),
    ]);
    await waitUntilReady(sidecar, socketPath);
    ready = true;
    log(
      `sidecar ready in ${((performance.now() - spawnedAt) / 1000).toFixed(1)} s: model ${MODEL}, statistics on ${httpUrl}`,
    );
    const limits = [
      Number.isFinite(options.records) ? `${options.records} records` : undefined,
      Number.isFinite(options.durationMs) ? `${options.durationMs / 1000} s` : undefined,
    ].filter(Boolean);
    log(
      `streaming: ${options.workers} workers × capacity ${options.capacity}, ` +
        `${options.batchRows > 1 ? `coalescing up to ${options.batchRows} rows per call` : "one row per call"}, ` +
        `until ${limits.join(" or ")}`,
    );

    const before = await fetchModelStatistics(httpUrl, MODEL);
    let lastStats = before;
    const run = await runWorkers({
      options,
      socketPath,
      tickMs: progress.tty ? 500 : 1_000,
      onTick: async (tick) => {
        let batch = Number.NaN;
        try {
          const stats = await fetchModelStatistics(httpUrl, MODEL);
          batch = batchingBetween(lastStats, stats).rowsPerBatch;
          lastStats = stats;
        } catch {
          // The statistics are for display; a missed poll shows n/a.
        }
        const rate = tick.intervalRecords / (tick.intervalMs / 1000);
        progress.update(
          `[${(tick.elapsedMs / 1000).toFixed(1).padStart(5)} s] ${tick.scored} records · ` +
            `${Math.round(rate)} records/s · avg batch ${Number.isNaN(batch) ? "n/a" : batch.toFixed(1)} · ` +
            `p99 ${ms(tick.intervalP99)}`,
        );
      },
    });
    progress.finish();

    const after = await fetchModelStatistics(httpUrl, MODEL);
    const batching = batchingBetween(before, after);
    const all = sortedConcat(run.chunks);
    const seconds = run.streamingMs / 1000;
    log(
      `summary: ${run.scored} records in ${seconds.toFixed(2)} s · ` +
        `${Math.round(run.scored / seconds)} records/s · ` +
        `avg batch ${rows(batching.rowsPerBatch)} (from requests of ${rows(batching.rowsPerRequest)}) · ` +
        `p50 ${ms(percentile(all, 50))} · p99 ${ms(percentile(all, 99))}` +
        (interrupt.signal.aborted ? " (interrupted)" : ""),
    );

    const checked = checkAgainstReference(run.samples);
    const mismatches = checked.filter((sample) => !(sample.difference <= TOLERANCE));
    if (checked.length > 0) {
      log("scored transactions (sidecar vs the JavaScript reference fraudScore):");
      const shown = Math.min(SAMPLES_SHOWN, checked.length);
      for (let index = 0; index < shown; index++) {
        // Spread over the run: the first, the last and evenly between.
        const { seed, score, reference } =
          checked[shown === 1 ? 0 : Math.round((index * (checked.length - 1)) / (shown - 1))];
        log(
          `  seed ${String(seed).padStart(8)}  fraud score ${score.toFixed(6)}  reference ${reference.toFixed(6)}`,
        );
      }
    }
    if (mismatches.length > 0) {
      failed = true;
      process.stderr.write(
        `error: reference mismatch: ${mismatches.length} of ${checked.length} sampled scores differ from fraudScore by more than ${TOLERANCE_TEXT}:\n` +
          mismatches
            .map(
              ({ seed, score, reference, difference }) =>
                `  seed ${seed}: sidecar ${score} vs reference ${reference} (|Δ| ${difference.toExponential(2)})\n`,
            )
            .join(""),
      );
    } else if (checked.length === 0) {
      failed = run.scored > 0;
      log("reference check: no scored transaction to check");
    } else {
      const largest = Math.max(...checked.map((sample) => sample.difference));
      log(
        `reference check: ${checked.length} of ${checked.length} sampled scores match fraudScore within ${TOLERANCE_TEXT} (largest |Δ| ${largest.toExponential(1)})`,
      );
    }
  } catch (error) {
    progress.finish();
    failed = true;
    if (interrupt.signal.aborted && error === interrupt.signal.reason) {
      process.stderr.write(`main-job: ${error.message} before streaming started\n`);
    } else {
      process.stderr.write(`main-job: error: ${error instanceof Error ? error.message : error}\n`);
    }
  } finally {
    for (const worker of owned.workers) await worker.terminate();
    if (owned.sidecar !== undefined) {
      const sidecar = owned.sidecar;
      const { code, signal, forced } = await sidecar.stop(DRAIN_GRACE_MS);
      const socketLeft = existsSync(socketPath);
      if (code === 0 && !forced && !socketLeft) {
        log(`sidecar pid ${sidecar.pid} exited 0 after SIGTERM; socket removed`);
      } else if (!ready && signal === "SIGTERM" && !socketLeft) {
        // Stopped while still starting, before it handles SIGTERM itself.
        log(`sidecar pid ${sidecar.pid} stopped by SIGTERM while starting; socket removed`);
      } else {
        failed = true;
        process.stderr.write(
          `main-job: error: sidecar pid ${sidecar.pid} ${forced ? "did not drain in time and was killed" : `exited with ${signal ?? `code ${code}`}`}` +
            `${socketLeft ? `; its socket ${socketPath} was left behind (removed with the temporary directory)` : ""}\n${sidecar.recentOutput()}\n`,
        );
      }
      owned.sidecar = undefined;
    }
    rmSync(owned.tempDir, { recursive: true, force: true });
    owned.tempDir = undefined;
  }
  if (interrupt.signal.aborted) return EXIT_INTERRUPTED;
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`main-job: error: ${error instanceof Error ? error.stack : error}\n`);
    process.exitCode = 1;
  },
);

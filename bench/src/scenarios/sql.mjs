import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPipeline } from "@gpu-sidecar/example-redis-pipeline/lib/pipeline.mjs";
import { BUNDLED_MODELS } from "../bench-models.mjs";
import { startSidecarProcess } from "../sidecar-process.mjs";

const SQL_PROCESS = fileURLToPath(new URL("../processes/sql-process.mjs", import.meta.url));
const MAIN_JOB = join(
  dirname(fileURLToPath(import.meta.resolve("@gpu-sidecar/example-main-job/package.json"))),
  "main.mjs",
);

/**
 * @typedef {object} SqlSizeFigures
 * @property {number} rows
 * @property {{ rowsPerSecond: number, seconds: number, peakRssBytes: number, peakHeapBytes: number }} sql
 * @property {{ rowsPerSecond: number, seconds: number, peakRssBytes: number, peakHeapBytes: number }} operator
 */

/**
 * @typedef {object} SqlFigures
 * @property {SqlSizeFigures[]} sizes ML_PREDICT and the operator on the same rows and sidecar.
 * @property {{ messages: number, workers: number, rowsPerSecond: number } | { skipped: string }} redis
 * @property {{ rowsPerSecond: number, workers: number } | { failed: string }} mainJob
 */

/** @param {string[]} args @returns {Promise<any>} */
function runProcess(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (part) => {
      stdout += part;
    });
    child.once("exit", (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${args.join(" ")} exited with ${code}`)),
    );
  });
}

/** @param {object} settings */
async function sqlProcess(settings) {
  return JSON.parse(await runProcess([SQL_PROCESS, JSON.stringify(settings)]));
}

/**
 * Layer 6's figures: ML_PREDICT over a DuckDB table of each size against the async-inference
 * operator on the same rows and the same sidecar, each in a fresh process (peak memory is its
 * own); then the Redis Streams pipeline and the in-memory main job, each with 3 workers.
 * @param {{ quick: boolean, log: (line: string) => void }} settings
 * @returns {Promise<SqlFigures>}
 */
export async function runSqlScenarios({ quick, log }) {
  const sizes = quick ? [2_000, 10_000] : [100_000, 1_000_000];
  const dir = mkdtempSync(join(tmpdir(), "gsb-sql-"));
  const sidecar = await startSidecarProcess({ repository: BUNDLED_MODELS, modelName: "fraud" });
  /** @type {SqlSizeFigures[]} */
  const results = [];
  try {
    for (const rows of sizes) {
      const database = join(dir, `tx-${rows}.duckdb`);
      await sqlProcess({ mode: "prepare", rows, database });
      const operator = await sqlProcess({ mode: "operator", rows, endpoint: sidecar.endpoint });
      const sql = await sqlProcess({ mode: "sql", rows, database, endpoint: sidecar.endpoint });
      if (sql.scored !== rows || Math.abs(sql.scoreSum - operator.scoreSum) > rows * 1e-5) {
        throw new Error(
          `ML_PREDICT scored ${sql.scored} rows summing ${sql.scoreSum}; the operator ${operator.scored} summing ${operator.scoreSum}`,
        );
      }
      log(
        `[sql] ${rows} rows: ML_PREDICT ${Math.round(sql.rowsPerSecond)} rows/s (peak RSS ${mib(sql.peakRssBytes)}, heap ${mib(sql.peakHeapBytes)}), operator ${Math.round(operator.rowsPerSecond)} rows/s (peak RSS ${mib(operator.peakRssBytes)})`,
      );
      results.push({ rows, sql, operator });
    }
  } finally {
    await sidecar.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const workers = 3;
  /** @type {SqlFigures["redis"]} */
  let redis;
  if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).error !== undefined) {
    redis = { skipped: "redis-server is not installed (apt-get install -y redis-server)" };
  } else {
    const messages = quick ? 2_000 : 50_000;
    const run = await runPipeline({ messages, workers, batchRows: 100 });
    redis = { messages, workers, rowsPerSecond: run.rowsPerSecond };
  }
  log(
    `[sql] Redis pipeline: ${"skipped" in redis ? redis.skipped : `${Math.round(redis.rowsPerSecond)} rows/s`}`,
  );

  /** @type {SqlFigures["mainJob"]} */
  let mainJob;
  try {
    const stdout = await runProcess([
      MAIN_JOB,
      "--duration",
      quick ? "1" : "10",
      "--workers",
      String(workers),
    ]);
    const match = /summary: .* · (\d+) records\/s/.exec(stdout);
    if (match === null) throw new Error(`no summary line in the main job's output:\n${stdout}`);
    mainJob = { rowsPerSecond: Number(match[1]), workers };
  } catch (error) {
    mainJob = { failed: error instanceof Error ? error.message : String(error) };
  }
  log(
    `[sql] main job: ${"failed" in mainJob ? mainJob.failed : `${mainJob.rowsPerSecond} rows/s`}`,
  );
  return { sizes: results, redis, mainJob };
}

/** @param {number} bytes */
function mib(bytes) {
  return `${Math.round(bytes / 1024 ** 2)} MiB`;
}

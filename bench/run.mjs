#!/usr/bin/env node
// The benchmark: ceiling, embedded, sidecar, floor and overload contenders for each model, each
// in its own processes, in one invocation on one machine, so that the ratios between them hold
// even on a shared, noisy machine. Results go to bench/bench-results/ (results.json, results.md,
// throughput.svg); the exit code is non-zero when any contender failed. See README.md.
import { loadavg } from "node:os";
import { prepareBenchModel } from "./src/bench-models.mjs";
import { parseBenchOptions, USAGE, UsageError } from "./src/bench-options.mjs";
import { describeMachine } from "./src/machine.mjs";
import { runModelRound } from "./src/model-round.mjs";
import { runPlacementBench } from "./src/placement/placement-bench.mjs";
import { writeResults } from "./src/report/write-results.mjs";
import { runSqlScenarios } from "./src/scenarios/sql.mjs";

/** @type {import("./src/bench-options.mjs").BenchOptions | undefined} */
let options;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${error.message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (options === undefined) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const log = (/** @type {string} */ line) => process.stderr.write(`${line}\n`);
const machine = describeMachine();
const quick = options.quick;
const runModels = options.suites.includes("models");
const models = (runModels ? options.models : []).map((id) => {
  log(`preparing the ${id} model`);
  return prepareBenchModel(id, quick);
});

/** @type {import("./src/report/write-results.mjs").BenchResults["failures"]} */
const failures = [];
/** @type {import("./src/report/write-results.mjs").BenchResults["loadAverages"]} */
const loadAverages = [];
/** @type {import("./src/report/write-results.mjs").BenchResults["rounds"]} */
const rounds = [];
for (let round = 1; runModels && round <= options.rounds; round++) {
  /** @type {(typeof rounds)[number]} */
  const byModel = {};
  for (const model of models) {
    byModel[model.id] = await runModelRound(model, options, async (contender, run, summary) => {
      // Other work on the machine skews every figure: keep the load each contender met.
      const oneMinute = loadavg()[0] ?? 0;
      loadAverages.push({ round, model: model.id, contender, oneMinute });
      const label = `[round ${round}/${options.rounds}] ${model.id} ${contender} (load ${oneMinute.toFixed(1)})`;
      try {
        const figures = await run();
        log(`${label}: ${summary(figures)}`);
        return figures;
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log(`${label}: FAILED\n${message}`);
        failures.push({ round, model: model.id, contender, message });
        return undefined;
      }
    });
  }
  rounds.push(byModel);
}

/** @type {import("./src/scenarios/sql.mjs").SqlFigures | undefined} */
let sql;
if (options.suites.includes("sql")) {
  try {
    sql = await runSqlScenarios({ quick, log });
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`[sql] FAILED\n${message}`);
    failures.push({ round: 1, model: "fraud", contender: "sql", message });
  }
}

/** @type {string[]} */
const written = [];
if (runModels || sql !== undefined) {
  written.push(
    ...writeResults({
      sql,
      command: ["node", "bench/run.mjs", ...process.argv.slice(2)].join(" "),
      machine,
      options,
      models,
      rounds,
      loadAverages,
      failures,
    }),
  );
}
if (options.suites.includes("placement")) {
  written.push(...runPlacementBench({ quick, log }));
}
log(`wrote ${written.join(", ")}`);
if (failures.length > 0) {
  log(`${failures.length} contender run(s) failed`);
  process.exitCode = 1;
}

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { RESULTS_DIR } from "../report/write-results.mjs";

const SIMULATION = fileURLToPath(new URL("placement-simulation.mjs", import.meta.url));
const STRATEGIES = /** @type {const} */ (["pack", "spread", "least-queue"]);

/**
 * What one strategy's simulation prints.
 * @typedef {object} PlacementFigures
 * @property {string} strategy
 * @property {number} workers
 * @property {number} gpus
 * @property {number} requests
 * @property {number} share
 * @property {number} placed
 * @property {number} pending
 * @property {{ p50: number, p99: number, mean: number, max: number }} decisionUs Wall time.
 * @property {{ p50: number, p99: number }} decisionCpuUs The process's CPU time.
 * @property {{ mean: number, min: number, max: number, std: number, maxAboveMeanInShares: number }} gpuUsed
 * @property {{ workersLost: number, allocationsAffected: number, replaceMs: number, replaceCpuMs: number, stillPending: number, allocationsOnDeadSidecars: number }} loss
 * @property {number} heapBytes
 */

/** @param {number} value @param {number} digits */
const fixed = (value, digits) => value.toFixed(digits);

/** @param {PlacementFigures[]} figures */
export function placementMarkdown(figures) {
  const [first] = figures;
  if (first === undefined) return "";
  const rows = figures.map(
    (f) =>
      `| ${f.strategy} | ${fixed(f.decisionUs.p50, 1)} / ${fixed(f.decisionCpuUs.p50, 0)} | ${fixed(f.decisionUs.p99, 1)} / ${fixed(f.decisionCpuUs.p99, 0)} | ${fixed(f.decisionUs.mean, 1)} | ${f.loss.allocationsAffected} | ${fixed(f.loss.replaceMs, 1)} / ${fixed(f.loss.replaceCpuMs, 1)} | ${f.loss.stillPending} | ${f.loss.allocationsOnDeadSidecars} | ${fixed(f.gpuUsed.mean, 4)} / ${fixed(f.gpuUsed.max, 2)} / ${fixed(f.gpuUsed.std, 3)} | ${fixed(f.gpuUsed.maxAboveMeanInShares, 2)} | ${fixed(f.heapBytes / 2 ** 20, 1)} |`,
  );
  return [
    `## Placement: ${first.workers} simulated workers × ${first.gpus / first.workers} GPUs, ${first.requests} requests of ${first.share} GPU, then ${first.loss.workersLost} sidecars lost`,
    "",
    "| strategy | decision p50 µs, wall / CPU | p99 µs, wall / CPU | mean µs (wall) | re-placed | time to re-place all, ms, wall / CPU | left pending | on dead sidecars | GPU used mean / max / std | max above mean, in shares | heap MiB |",
    "| -------- | --------------------------: | ----------------: | -------------: | --------: | ----------------------------------: | -----------: | ---------------: | ------------------------- | ------------------------: | -------: |",
    ...rows,
    "",
  ].join("\n");
}

/**
 * Runs the placement simulation of each strategy in its own process (memory measured after a
 * collection) and writes placement.json and placement.md beside the other results.
 * @param {{ quick: boolean, log: (line: string) => void }} options
 * @returns {string[]} The files written.
 */
export function runPlacementBench({ quick, log }) {
  const workers = quick ? 100 : 1000;
  const requests = quick ? 1000 : 10000;
  /** @type {PlacementFigures[]} */
  const figures = STRATEGIES.map((strategy) => {
    const output = execFileSync(
      process.execPath,
      [
        "--expose-gc",
        SIMULATION,
        "--strategy",
        strategy,
        "--workers",
        String(workers),
        "--requests",
        String(requests),
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    );
    const result = /** @type {PlacementFigures} */ (JSON.parse(output));
    log(
      `placement ${strategy}: decision p50 ${fixed(result.decisionUs.p50, 1)} µs, p99 ${fixed(result.decisionUs.p99, 1)} µs (CPU ${fixed(result.decisionCpuUs.p50, 0)} / ${fixed(result.decisionCpuUs.p99, 0)} µs); re-placed ${result.loss.allocationsAffected} in ${fixed(result.loss.replaceMs, 1)} ms (CPU ${fixed(result.loss.replaceCpuMs, 1)} ms); GPU used max ${fixed(result.gpuUsed.max, 2)} (mean ${fixed(result.gpuUsed.mean, 4)})`,
    );
    return result;
  });
  mkdirSync(RESULTS_DIR, { recursive: true });
  const files = {
    "placement.json": `${JSON.stringify(figures, null, 2)}\n`,
    "placement.md": placementMarkdown(figures),
  };
  return Object.entries(files).map(([name, text]) => {
    const path = `${RESULTS_DIR}${name}`;
    writeFileSync(path, text);
    return path;
  });
}

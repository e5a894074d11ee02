import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { floorComparison } from "./floor-comparison.mjs";
import { medianModelRound } from "./median-figures.mjs";
import { computeRatios } from "./ratios.mjs";
import { resultsMarkdown } from "./results-markdown.mjs";
import { throughputSvg } from "./throughput-svg.mjs";

/** Gitignored (`bench-results/`). */
export const RESULTS_DIR = fileURLToPath(new URL("../../bench-results/", import.meta.url));

/** @typedef {import("../bench-options.mjs").ModelName} ModelName */
/** @typedef {import("./median-figures.mjs").ModelRound} ModelRound */

/**
 * Everything one invocation measured, as results.json holds it.
 * @typedef {object} BenchResults
 * @property {string} command
 * @property {import("../machine.mjs").Machine} machine
 * @property {import("../bench-options.mjs").BenchOptions} options
 * @property {Record<string, { description: string, fileBytes: number, config: object }>} models
 * @property {Partial<Record<ModelName, ModelRound>>[]} rounds Every round's figures, by model.
 * @property {Partial<Record<ModelName, ModelRound>>} medians The median over rounds of each figure.
 * @property {import("./ratios.mjs").Ratio[]} ratios
 * @property {import("./floor-comparison.mjs").FloorComparison[]} floorComparison The per-call
 *   cost targets' context: the same run's bare node:http2 floor and the model's own run.
 * @property {{ round: number, model: string, contender: string, oneMinute: number }[]} loadAverages
 *   The machine's 1-minute load average as each contender started.
 * @property {{ round: number, model: string, contender: string, message: string }[]} failures
 * @property {import("../scenarios/sql.mjs").SqlFigures | undefined} sql Layer 6: ML_PREDICT, the
 *   operator on the same rows, the Redis pipeline and the main job.
 */

/**
 * Computes the medians and ratios and writes results.json, results.md and throughput.svg.
 * @param {Omit<BenchResults, "models" | "medians" | "ratios" | "floorComparison"> & { models: import("../bench-models.mjs").BenchModel[] }} run
 * @returns {string[]} The files written.
 */
export function writeResults({ models, rounds, ...run }) {
  /** @type {BenchResults["medians"]} */
  const medians = {};
  for (const model of models) {
    medians[model.id] = medianModelRound(rounds.flatMap((byModel) => byModel[model.id] ?? []));
  }
  /** @type {BenchResults} */
  const results = {
    ...run,
    models: Object.fromEntries(
      models.map((model) => [
        model.id,
        { description: model.description, fileBytes: model.fileBytes, config: model.config },
      ]),
    ),
    rounds,
    medians,
    ratios: computeRatios(medians),
    floorComparison: floorComparison(medians),
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const files = {
    "results.json": `${JSON.stringify(results, null, 2)}\n`,
    "results.md": resultsMarkdown(results),
    "throughput.svg": throughputSvg(medians, results.models),
  };
  return Object.entries(files).map(([name, text]) => {
    const path = `${RESULTS_DIR}${name}`;
    writeFileSync(path, text);
    return path;
  });
}

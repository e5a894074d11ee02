import { parseArgs } from "node:util";

export const USAGE = `Usage: node bench/run.mjs [--quick] [--duration s] [--workers 1,2,4] [--models small,large] [--rounds n] [--suites models,sql,placement]

  --quick         everything tiny, for CI: 0.5 s per contender, workers 1,2, the small model and a
                  reduced large model, 1 round (explicit flags still win)
  --duration s    measured seconds of each contender run (default 3)
  --workers list  worker process counts to sweep (default 1,2,4)
  --models list   small (the bundled fraud MLP), large (~100 MB MLP) (default small,large)
  --rounds n      rounds; every figure is the median over them (default 3)
  --suites list   models (sidecar vs embedded vs ceiling), sql (ML_PREDICT over a DuckDB table
                  against the operator on the same rows), placement (the placement engine on
                  simulated workers: 1,000 × 8 GPUs and 10,000 requests, --quick 100 and 1,000)
                  (default models,sql,placement)`;

export const SUITE_NAMES = /** @type {const} */ (["models", "sql", "placement"]);

/** @typedef {(typeof SUITE_NAMES)[number]} SuiteName */

export const MODEL_NAMES = /** @type {const} */ (["small", "large"]);

/** @typedef {(typeof MODEL_NAMES)[number]} ModelName */

/**
 * @typedef {object} BenchOptions
 * @property {boolean} quick
 * @property {number} durationMs Measured time of each contender run.
 * @property {number[]} workers Worker process counts, ascending.
 * @property {ModelName[]} models
 * @property {number} rounds
 * @property {SuiteName[]} suites
 */

const FULL = { durationS: 3, workers: [1, 2, 4], rounds: 3 };
const QUICK = { durationS: 0.5, workers: [1, 2], rounds: 1 };

/** Thrown for a command line the benchmark cannot run; run.mjs prints it with the usage. */
export class UsageError extends Error {
  /** @override */
  name = "UsageError";
}

/** @param {string} flag @param {string} text */
function positiveNumber(flag, text) {
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) {
    throw new UsageError(`${flag} is ${JSON.stringify(text)}, expected a positive number`);
  }
  return value;
}

/** @param {string} flag @param {string} text */
function positiveInteger(flag, text) {
  const value = positiveNumber(flag, text);
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(`${flag} is ${JSON.stringify(text)}, expected a positive integer`);
  }
  return value;
}

/** @param {string} text */
function parseWorkers(text) {
  const counts = text.split(",").map((part) => positiveInteger("--workers", part.trim()));
  return [...new Set(counts)].sort((a, b) => a - b);
}

/**
 * A comma-separated list of known names, in their declared order whatever the command line's.
 * @template {string} T
 * @param {string} flag
 * @param {string} text
 * @param {readonly T[]} known
 * @returns {T[]}
 */
function parseNames(flag, text, known) {
  const names = text.split(",").map((part) => part.trim());
  for (const name of names) {
    if (!known.includes(/** @type {T} */ (name))) {
      throw new UsageError(
        `${flag} names ${JSON.stringify(name)}, expected some of ${known.join(", ")}`,
      );
    }
  }
  return known.filter((name) => names.includes(name));
}

/**
 * Reads the command line; `undefined` when `--help` asked for the usage.
 * @param {string[]} argv Arguments after the script name.
 * @returns {BenchOptions | undefined}
 */
export function parseBenchOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        quick: { type: "boolean", default: false },
        duration: { type: "string" },
        workers: { type: "string" },
        models: { type: "string" },
        rounds: { type: "string" },
        suites: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) return undefined;
  const defaults = values.quick ? QUICK : FULL;
  return {
    quick: values.quick,
    durationMs:
      1000 *
      (values.duration === undefined
        ? defaults.durationS
        : positiveNumber("--duration", values.duration)),
    workers: values.workers === undefined ? defaults.workers : parseWorkers(values.workers),
    models:
      values.models === undefined
        ? [...MODEL_NAMES]
        : parseNames("--models", values.models, MODEL_NAMES),
    rounds:
      values.rounds === undefined ? defaults.rounds : positiveInteger("--rounds", values.rounds),
    suites:
      values.suites === undefined
        ? [...SUITE_NAMES]
        : parseNames("--suites", values.suites, SUITE_NAMES),
  };
}

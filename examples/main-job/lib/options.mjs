import { parseArgs } from "node:util";

export const USAGE = `Usage: node main.mjs [options]

Starts one gpu-sidecar with the bundled fraud model on a Unix socket, streams synthetic
transactions into it from several worker threads through asyncInference, and prints live
throughput, the sidecar's batch size and latency, then a summary checked against the
JavaScript reference model.

Options:
  --records <n>      stop after n records in total (default: no limit)
  --duration <s>     stop after s seconds of streaming (default: 10 without --records)
  --workers <w>      worker threads streaming records (default: 4)
  --capacity <n>     records in flight per worker, asyncInference capacity (default: 32)
  --batch-rows <n>   records each worker coalesces into one call, 1 = none (default: 8)
  -h, --help         show this help

With both --records and --duration the run ends at whichever comes first.`;

/** A command-line mistake: main prints it with the usage and exits 2. */
export class UsageError extends Error {
  name = "UsageError";
}

function positiveInteger(flag, text) {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`--${flag} is ${JSON.stringify(text)}, expected an integer ≥ 1`);
  }
  return value;
}

function positiveSeconds(flag, text) {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) {
    throw new UsageError(`--${flag} is ${JSON.stringify(text)}, expected a number of seconds > 0`);
  }
  return value;
}

/**
 * The run's options from argv. Without --records and --duration the run lasts 10 s; with
 * --records alone it lasts until that many records are scored.
 */
export function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        records: { type: "string" },
        duration: { type: "string" },
        workers: { type: "string" },
        capacity: { type: "string" },
        "batch-rows": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  const records = positiveInteger("records", values.records);
  const durationS = positiveSeconds("duration", values.duration);
  return {
    help: values.help === true,
    records: records ?? Number.POSITIVE_INFINITY,
    durationMs:
      durationS !== undefined
        ? durationS * 1000
        : records === undefined
          ? 10_000
          : Number.POSITIVE_INFINITY,
    workers: positiveInteger("workers", values.workers) ?? 4,
    capacity: positiveInteger("capacity", values.capacity) ?? 32,
    batchRows: positiveInteger("batch-rows", values["batch-rows"]) ?? 8,
  };
}

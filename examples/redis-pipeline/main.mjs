// The end-to-end pipeline on a real stream: see README.md. `node main.mjs --help`.
import { parseArgs } from "node:util";
import { runPipeline } from "./lib/pipeline.mjs";

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    workers: { type: "string", default: "3" },
    chaos: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log(`Usage: node main.mjs [--messages N] [--workers W] [--chaos]

Starts a private redis-server and a gpu-sidecar, writes N transactions to a Redis Stream,
scores them with W worker processes in one consumer group, then ranks merchants with DuckDB
SQL and runs ML_PREDICT on a batch table. --chaos SIGKILLs one worker and restarts the
sidecar mid-run.`);
  process.exit(0);
}
const messages = Number(args.messages);
let lastPrint = 0;
const result = await runPipeline({
  messages,
  workers: Number(args.workers),
  chaos: args.chaos,
  onProgress: ({ scored, elapsedMs }) => {
    if (elapsedMs - lastPrint < 1000) return;
    lastPrint = elapsedMs;
    console.log(`[${(elapsedMs / 1000).toFixed(1).padStart(5)} s] ${scored} of ${messages} scored`);
  },
});
const unique = new Set(result.rows.map((row) => row.tx)).size;
console.log(
  `${result.rows.length} results for ${unique} distinct transactions in ${(result.elapsedMs / 1000).toFixed(2)} s · ${Math.round(result.rowsPerSecond)} rows/s · ${result.pending} pending`,
);
if (args.chaos) {
  console.log(
    `chaos: worker-0 SIGKILLed, sidecar restarted ${result.sidecarRestarts}×, ${result.claimed} entries claimed with XAUTOCLAIM`,
  );
}
console.log("top risky merchants (DuckDB):");
for (const row of result.report.topMerchants.rows) {
  console.log(`  ${row.merchant}  ${row.risky} risky of ${row.transactions}  avg ${row.avg_score}`);
}
const { scored, differing } = result.report.comparison;
console.log(
  `ML_PREDICT over a batch table: ${scored} rows, ${differing} differ from the stream's scores`,
);
process.exitCode = unique === messages && result.pending === 0 && Number(differing) === 0 ? 0 : 1;

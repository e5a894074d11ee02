// One SQL-scenario process (see ../scenarios/sql.mjs); argv[2] is its JSON settings, stdout
// its JSON figures. Each mode runs in a process of its own so its peak memory is its own.
//   prepare:  writes `rows` demo transactions (id, features FLOAT[16]) to a DuckDB file
//   sql:      ML_PREDICT over that table through the sidecar (gpu-sidecar provider)
//   operator: the same rows, generated in memory, through asyncInference on the same sidecar
import { DuckDBDataChunk, DuckDBInstance, listValue } from "@duckdb/node-api";
import { asyncInference, createSidecarClient } from "@gpu-sidecar/async-inference";
import { decodeTensorValues, encodeTensor } from "@gpu-sidecar/sidecar-core";
import { FRAUD_FEATURE_COUNT, syntheticTransaction } from "@gpu-sidecar/sidecar-server/demo-model";
import { createSqlSession } from "@gpu-sidecar/sql-udf";

const settings = JSON.parse(process.argv[2] ?? "{}");
const { mode, rows, database, endpoint } = settings;

/**
 * Peak RSS and JS heap, sampled every 20 ms while `work` runs.
 * @param {() => Promise<object>} work
 */
async function measured(work) {
  let peakRss = process.memoryUsage.rss();
  let peakHeap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 20);
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  return {
    ...result,
    rows,
    seconds,
    rowsPerSecond: rows / seconds,
    peakRssBytes: peakRss,
    peakHeapBytes: peakHeap,
  };
}

async function prepare() {
  const instance = await DuckDBInstance.create(database);
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE tx (id INTEGER, features FLOAT[${FRAUD_FEATURE_COUNT}])`);
  const types = (await connection.run("SELECT * FROM tx LIMIT 0")).columnTypes();
  const appender = await connection.createAppender("tx");
  for (let first = 0; first < rows; first += 2048) {
    const count = Math.min(2048, rows - first);
    const ids = [];
    const features = [];
    for (let id = first; id < first + count; id++) {
      ids.push(id);
      features.push(listValue([...syntheticTransaction(id)]));
    }
    const chunk = DuckDBDataChunk.create(types, count);
    chunk.setColumns([ids, features]);
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
  connection.closeSync();
  instance.closeSync();
  return {};
}

async function sql() {
  const session = await createSqlSession({ database });
  await session.execute(`
    CREATE TEMPORARY MODEL fraud INPUT (features ARRAY<FLOAT>) OUTPUT (fraud_score FLOAT)
    WITH ('provider' = 'gpu-sidecar', 'endpoint' = '${endpoint}', 'model-name' = 'fraud')`);
  const figures = await measured(async () => {
    const result = await session.execute(
      "SELECT count(*) AS n, sum(fraud_score) AS total FROM ML_PREDICT(TABLE tx, MODEL fraud, DESCRIPTOR(features))",
    );
    return { scored: Number(result.rows[0]?.n), scoreSum: Number(result.rows[0]?.total) };
  });
  await session.close();
  return figures;
}

async function operator() {
  const client = createSidecarClient({ endpoint });
  const session = client.createStreamSession("fraud");
  async function* transactions() {
    for (let id = 0; id < rows; id++) yield syntheticTransaction(id);
  }
  // The SQL provider's defaults: one stream, 64 rows a call, 10 calls in flight.
  const figures = await measured(async () => {
    let scored = 0;
    let scoreSum = 0;
    const scoredRecords = asyncInference(transactions(), {
      infer: (inputs, context) => session.infer(inputs, context),
      encode: (features) => [
        encodeTensor({
          name: "features",
          datatype: "FP32",
          shape: [1, FRAUD_FEATURE_COUNT],
          values: features,
        }),
      ],
      decode: (outputs) =>
        /** @type {number} */ (
          decodeTensorValues({
            .../** @type {import("@gpu-sidecar/sidecar-core").Tensor} */ (outputs[0]),
            datatype: "FP32",
          })[0]
        ),
      capacity: 640,
      batch: { maxRows: 64, maxDelayMs: 2 },
    });
    for await (const score of scoredRecords) {
      scored++;
      scoreSum += score;
    }
    return { scored, scoreSum };
  });
  await client.close();
  return figures;
}

/** @type {Record<string, () => Promise<object>>} */
const modes = { prepare, sql, operator };
const run = modes[mode];
if (run === undefined)
  throw new Error(`unknown mode ${mode}: expected ${Object.keys(modes).join(", ")}`);
process.stdout.write(`${JSON.stringify(await run())}\n`);

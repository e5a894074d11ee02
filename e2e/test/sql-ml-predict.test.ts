import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fraudScore, syntheticTransaction } from "@gpu-sidecar/sidecar-server/demo-model";
import {
  type SpawnedSidecarAddresses,
  spawnSidecar,
  stopAllSidecars,
} from "@gpu-sidecar/sidecar-server/testing";
import { createSqlSession, SqlErrorCode, type SqlSession } from "@gpu-sidecar/sql-udf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchInferenceCount } from "./model-statistics.js";

// CREATE MODEL and ML_PREDICT on DuckDB against a real gpu-sidecar process (issue #13).
const dir = mkdtempSync(join(tmpdir(), "sql-ml-predict-"));
let sidecar: SpawnedSidecarAddresses;
let session: SqlSession;
const ROWS = 300;

/** The DDL a Flink user writes for Flink's Triton provider, unchanged. */
function flinkTritonDdl(endpoint: string): string {
  return `
    CREATE MODEL fraud_triton
    INPUT (features ARRAY<FLOAT>)
    OUTPUT (fraud_score FLOAT)
    COMMENT 'the bundled fraud model over Flink''s Triton provider'
    WITH (
      'provider' = 'triton',
      'endpoint' = '${endpoint}/v2/models',
      'model-name' = 'fraud',
      'timeout' = '10s'
    )`;
}

function reference(id: number): number {
  return fraudScore(syntheticTransaction(id), 1)[0] as number;
}

beforeAll(async () => {
  sidecar = await spawnSidecar({ uds: join(dir, "sidecar.sock") }).serving;
  session = await createSqlSession();
  await session.execute(`CREATE TABLE tx (id INTEGER, merchant VARCHAR, features FLOAT[])`);
  const values = Array.from(
    { length: ROWS },
    (_, id) => `(${id}, 'm${id % 7}', [${[...syntheticTransaction(id)].join(", ")}])`,
  );
  await session.execute(`INSERT INTO tx VALUES ${values.join(", ")}`);
}, 60_000);

afterAll(async () => {
  await session?.close();
  await stopAllSidecars(1_000);
  rmSync(dir, { recursive: true, force: true });
});

describe("ML_PREDICT against a real sidecar", { timeout: 60_000 }, () => {
  it("runs a Flink Triton DDL unchanged and returns the reference scores", async () => {
    await session.execute(flinkTritonDdl(sidecar.httpUrl as string));
    const result = await session.execute(
      "SELECT id, fraud_score FROM ML_PREDICT(TABLE tx, MODEL fraud_triton, DESCRIPTOR(features)) ORDER BY id",
    );
    expect(result.rows).toHaveLength(ROWS);
    for (const row of result.rows) {
      expect(row.fraud_score as number).toBeCloseTo(reference(row.id as number), 5);
    }
  });

  it("runs the gpu-sidecar provider over the Unix socket with coalescing, output names clashing renamed", async () => {
    await session.execute(`
      CREATE TEMPORARY MODEL fraud_uds
      INPUT (features ARRAY<FLOAT>)
      OUTPUT (merchant FLOAT)
      WITH ('provider' = 'gpu-sidecar', 'endpoint' = '${sidecar.unixUrl}', 'model-name' = 'fraud')`);
    // The served output is fraud_score: a DDL naming it merchant fails before any row.
    await expect(
      session.execute("SELECT * FROM ML_PREDICT(TABLE tx, MODEL fraud_uds, DESCRIPTOR(features))"),
    ).rejects.toMatchObject({
      code: SqlErrorCode.TypeMismatch,
      message: expect.stringContaining("fraud_score FP32"),
    });
    await session.execute("DROP TEMPORARY MODEL fraud_uds");

    await session.execute(`
      CREATE TEMPORARY MODEL fraud_uds
      INPUT (features ARRAY<FLOAT>)
      OUTPUT (fraud_score FLOAT)
      WITH ('provider' = 'gpu-sidecar', 'endpoint' = '${sidecar.unixUrl}', 'model-name' = 'fraud', 'batch-max-rows' = '32')`);
    await session.execute(
      "CREATE TABLE scored_once AS SELECT id, features, 0.5::FLOAT AS fraud_score, 1 AS fraud_score0 FROM tx",
    );
    const result = await session.execute(`
      SELECT * FROM ML_PREDICT(TABLE scored_once, MODEL fraud_uds, DESCRIPTOR(features),
                               MAP['max-concurrent-operations', '4', 'output-mode', 'ALLOW_UNORDERED', 'timeout', '30s'])
      ORDER BY id`);
    expect(result.columns.map((column) => column.name)).toEqual([
      "id",
      "features",
      "fraud_score",
      "fraud_score0",
      "fraud_score1",
    ]);
    expect(result.rows).toHaveLength(ROWS);
    for (const row of result.rows) {
      expect(row.fraud_score).toBe(0.5);
      expect(row.fraud_score1 as number).toBeCloseTo(reference(row.id as number), 5);
    }
  });

  it("scores ML_SCORE in a WHERE clause in batches, not one call per row", async () => {
    const before = await fetchInferenceCount(sidecar.httpUrl as string, "fraud");
    const result = await session.execute(
      "SELECT id FROM tx WHERE ML_SCORE(MODEL fraud_uds, features) > 0.5 ORDER BY id",
    );
    const after = await fetchInferenceCount(sidecar.httpUrl as string, "fraud");
    const expected = Array.from({ length: ROWS }, (_, id) => id).filter(
      (id) => reference(id) > 0.5,
    );
    expect(result.rows.map((row) => row.id)).toEqual(expected);
    expect(after.rows - before.rows).toBe(ROWS);
    expect(after.requests - before.requests).toBeLessThanOrEqual(ROWS / 8);
  });

  it("fails bad statements with a clear error before any row is sent", async () => {
    const before = await fetchInferenceCount(sidecar.httpUrl as string, "fraud");
    await expect(
      session.execute("SELECT * FROM ML_PREDICT(TABLE tx, MODEL nope, DESCRIPTOR(features))"),
    ).rejects.toMatchObject({
      code: SqlErrorCode.UnknownModel,
      message: expect.stringMatching(
        /model `nope` does not exist; the models are: fraud_triton, fraud_uds/,
      ),
    });
    await expect(
      session.execute("SELECT * FROM ML_PREDICT(TABLE tx, MODEL fraud_uds, DESCRIPTOR(feature))"),
    ).rejects.toMatchObject({
      code: SqlErrorCode.UnknownColumn,
      message: expect.stringContaining("its columns are: id, merchant, features"),
    });
    await expect(
      session.execute(
        "SELECT * FROM ML_PREDICT(TABLE tx, MODEL fraud_uds, DESCRIPTOR(features), MAP['capacity', '10'])",
      ),
    ).rejects.toMatchObject({
      code: SqlErrorCode.UnknownOption,
      message: expect.stringContaining("max-concurrent-operations"),
    });
    await expect(
      session.execute("SELECT * FROM ML_PREDICT(TABLE tx, MODEL fraud_uds, DESCRIPTOR(merchant))"),
    ).rejects.toMatchObject({
      code: SqlErrorCode.TypeMismatch,
    });
    await session.execute(`
      CREATE TEMPORARY MODEL fraud_double INPUT (features ARRAY<DOUBLE>) OUTPUT (fraud_score FLOAT)
      WITH ('provider' = 'triton', 'endpoint' = '${sidecar.httpUrl}/v2/models', 'model-name' = 'fraud')`);
    await expect(
      session.execute(
        "SELECT * FROM ML_PREDICT(TABLE tx, MODEL fraud_double, DESCRIPTOR(features))",
      ),
    ).rejects.toMatchObject({
      code: SqlErrorCode.TypeMismatch,
      message: expect.stringContaining("ARRAY<DOUBLE> (KServe FP64"),
    });
    const after = await fetchInferenceCount(sidecar.httpUrl as string, "fraud");
    expect(after.requests).toBe(before.requests);
  });

  it("fails the statement naming the endpoint when the sidecar is down, leaving no partial result", async () => {
    const down = join(dir, "nobody-listens.sock");
    await session.execute(`
      CREATE TEMPORARY MODEL fraud_down INPUT (features ARRAY<FLOAT>) OUTPUT (fraud_score FLOAT)
      WITH ('provider' = 'gpu-sidecar', 'endpoint' = 'unix://${down}', 'model-name' = 'fraud')`);
    await expect(
      session.execute(
        "CREATE TABLE partial AS SELECT * FROM ML_PREDICT(TABLE tx, MODEL fraud_down, DESCRIPTOR(features))",
      ),
    ).rejects.toMatchObject({
      code: SqlErrorCode.EndpointUnavailable,
      message: expect.stringContaining(`unix://${down}`),
    });
    const tables = await session.execute(
      "SELECT table_name FROM duckdb_tables() WHERE table_name IN ('partial') OR table_name LIKE '__ml_predict%'",
    );
    expect(tables.rows).toEqual([]);
  });
});

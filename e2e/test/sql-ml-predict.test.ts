import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  FRAUD_FEATURE_COUNT,
  fraudScore,
  syntheticTransaction,
} from "@gpu-sidecar/sidecar-server/demo-model";
import { createSqlSession, SqlErrorCode, type SqlSession } from "@gpu-sidecar/sql-udf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killAllSidecars, type SidecarProcess, startSidecar } from "./sidecar-process.js";

// CREATE MODEL and ML_PREDICT on DuckDB against a real gpu-sidecar process (issue #13).
const dir = mkdtempSync(join(tmpdir(), "sql-ml-predict-"));
let sidecar: SidecarProcess;
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
  sidecar = await startSidecar(join(dir, "sidecar.sock"), { http: true });
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
  killAllSidecars();
  rmSync(dir, { recursive: true, force: true });
});

describe("ML_PREDICT against a real sidecar", () => {
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
});

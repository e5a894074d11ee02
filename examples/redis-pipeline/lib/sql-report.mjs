import { listValue } from "@duckdb/node-api";
import { syntheticTransaction } from "@gpu-sidecar/sidecar-server/demo-model";
import { createSqlSession } from "@gpu-sidecar/sql-udf";

/**
 * The pipeline's SQL step on DuckDB: the streamed results as a table, the merchants with the
 * most risky transactions, and ML_PREDICT over a batch table of the same transactions through
 * the same sidecar, compared with what the stream scored.
 */
export async function sqlReport({ rows, sidecarUrl, batchRows }) {
  const session = await createSqlSession();
  try {
    await session.execute(
      "CREATE TABLE results (message_id VARCHAR, tx INTEGER, merchant VARCHAR, score FLOAT)",
    );
    const results = await session.connection.createAppender("results");
    for (const row of rows) {
      results.appendVarchar(row.messageId);
      results.appendInteger(row.tx);
      results.appendVarchar(row.merchant);
      results.appendFloat(row.score);
      results.endRow();
    }
    results.closeSync();
    const topMerchants = await session.execute(`
      SELECT merchant,
             count(*) FILTER (WHERE score > 0.5) AS risky,
             count(*) AS transactions,
             round(avg(score), 4) AS avg_score
      FROM results GROUP BY merchant ORDER BY risky DESC, merchant LIMIT 5`);

    await session.execute("CREATE TABLE tx_batch (tx INTEGER, features FLOAT[])");
    const batch = await session.connection.createAppender("tx_batch");
    for (let tx = 0; tx < batchRows; tx++) {
      batch.appendInteger(tx);
      batch.appendList(listValue([...syntheticTransaction(tx)]));
      batch.endRow();
    }
    batch.closeSync();
    const comparison = await session.execute(`
      CREATE TEMPORARY MODEL fraud
      INPUT (features ARRAY<FLOAT>)
      OUTPUT (fraud_score FLOAT)
      WITH ('provider' = 'gpu-sidecar', 'endpoint' = '${sidecarUrl}', 'model-name' = 'fraud');
      SELECT count(*) AS scored,
             count(*) FILTER (WHERE abs(p.fraud_score - r.score) > 1e-5) AS differing
      FROM ML_PREDICT(TABLE tx_batch, MODEL fraud, DESCRIPTOR(features)) AS p
      JOIN results AS r USING (tx)`);
    return { topMerchants, comparison: comparison.rows[0] };
  } finally {
    await session.close();
  }
}

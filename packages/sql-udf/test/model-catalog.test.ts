import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSqlSession, SqlErrorCode } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "sql-udf-catalog-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TRITON = `'provider' = 'triton', 'endpoint' = 'http://127.0.0.1:8000/v2/models', 'model-name' = 'fraud'`;

describe("the model catalog", () => {
  it("keeps models in a file database across sessions; TEMPORARY ones only in their session", async () => {
    const database = join(dir, "models.duckdb");
    const first = await createSqlSession({ database });
    await first.execute(`
      CREATE MODEL fraud INPUT (features ARRAY<FLOAT>) OUTPUT (fraud_score FLOAT)
      COMMENT 'kept' WITH (${TRITON});
      CREATE TEMPORARY MODEL scratch WITH ('provider' = 'gpu-sidecar', 'endpoint' = 'unix:///tmp/s.sock', 'model-name' = 'fraud')`);
    expect((await first.execute("SHOW MODELS")).rows).toEqual([
      { "model name": "fraud" },
      { "model name": "scratch" },
    ]);
    await first.close();

    const second = await createSqlSession({ database });
    expect((await second.execute("SHOW MODELS")).rows).toEqual([{ "model name": "fraud" }]);
    const ddl = (await second.execute("SHOW CREATE MODEL fraud")).rows[0]?.result;
    expect(ddl).toBe(
      [
        "CREATE MODEL `fraud`",
        "INPUT (\n  `features` ARRAY<FLOAT>\n)",
        "OUTPUT (\n  `fraud_score` FLOAT\n)",
        "COMMENT 'kept'",
        "WITH (\n  'provider' = 'triton',\n  'endpoint' = 'http://127.0.0.1:8000/v2/models',\n  'model-name' = 'fraud'\n)",
      ].join("\n"),
    );
    expect((await second.execute("DESCRIBE MODEL fraud")).rows).toEqual([
      { name: "features", type: "ARRAY<FLOAT>", null: true, "is input": true, comment: null },
      { name: "fraud_score", type: "FLOAT", null: true, "is input": false, comment: null },
    ]);
    await second.close();
  });

  it("creates, alters, renames and drops with Flink's IF [NOT] EXISTS rules", async () => {
    const session = await createSqlSession();
    await session.execute(`CREATE MODEL m WITH (${TRITON})`);
    await expect(session.execute(`CREATE MODEL m WITH (${TRITON})`)).rejects.toMatchObject({
      code: SqlErrorCode.ModelExists,
    });
    expect(
      (await session.execute(`CREATE MODEL IF NOT EXISTS m WITH (${TRITON})`)).message,
    ).toContain("already exists; nothing done");
    await session.execute("ALTER MODEL m SET ('timeout' = '5s', 'priority' = '2')");
    await session.execute("ALTER MODEL m RESET ('priority')");
    await session.execute("ALTER MODEL m RENAME TO n");
    const ddl = String((await session.execute("SHOW CREATE MODEL n")).rows[0]?.result);
    expect(ddl).toContain("'timeout' = '5s'");
    expect(ddl).not.toContain("priority");
    await expect(session.execute("ALTER MODEL m SET ('timeout' = '1s')")).rejects.toMatchObject({
      code: SqlErrorCode.UnknownModel,
      message: "model `m` does not exist; the models are: n",
    });
    expect(
      (await session.execute("ALTER MODEL IF EXISTS m SET ('timeout' = '1s')")).message,
    ).toContain("nothing done");
    await expect(session.execute("ALTER MODEL n SET ('timeout' = 'soon')")).rejects.toMatchObject({
      code: SqlErrorCode.InvalidOption,
      message: expect.stringContaining("option 'timeout'"),
    });
    await session.execute("DROP MODEL n");
    await expect(session.execute("DROP MODEL n")).rejects.toMatchObject({
      code: SqlErrorCode.UnknownModel,
    });
    await session.execute("DROP MODEL IF EXISTS n");
    await session.close();
  });

  it("checks WITH (...) against the provider when the model is created", async () => {
    const session = await createSqlSession();
    await expect(
      session.execute(`CREATE MODEL m WITH (${TRITON}, 'model-versoin' = '1')`),
    ).rejects.toMatchObject({
      code: SqlErrorCode.UnknownOption,
      message: expect.stringMatching(
        /unknown option 'model-versoin' .*the options are: provider, endpoint, model-name, model-version,/,
      ),
    });
    await expect(
      session.execute("CREATE MODEL m WITH ('provider' = 'openai')"),
    ).rejects.toMatchObject({
      code: SqlErrorCode.InvalidOption,
      message: expect.stringContaining("the providers are: triton, gpu-sidecar"),
    });
    await expect(
      session.execute("CREATE MODEL m WITH ('provider' = 'triton', 'model-name' = 'x')"),
    ).rejects.toMatchObject({
      code: SqlErrorCode.InvalidOption,
      message: expect.stringContaining("needs the option 'endpoint'"),
    });
    await expect(
      session.execute(`CREATE MODEL m INPUT (a FLOAT, b FLOAT) OUTPUT (c FLOAT) WITH (${TRITON})`),
    ).rejects.toMatchObject({
      code: SqlErrorCode.Unsupported,
      message: expect.stringContaining("exactly one INPUT"),
    });
    await expect(
      session.execute(`CREATE MODEL m WITH (${TRITON}, 'custom-headers' = 'X-A:1,broken')`),
    ).rejects.toMatchObject({ code: SqlErrorCode.InvalidOption });
    await session.close();
  });

  it("passes other SQL to DuckDB and reports its errors with the statement's line", async () => {
    const session = await createSqlSession();
    const result = await session.execute("SELECT 1 AS one;\nSELECT 2 AS two, 'x' AS s");
    expect(result.rows).toEqual([{ two: 2, s: "x" }]);
    await expect(session.execute("SELECT 1;\nSELEC 2")).rejects.toMatchObject({
      code: SqlErrorCode.EngineError,
      message: expect.stringContaining("(statement at line 2)"),
    });
    const chunks: Record<string, unknown>[][] = [];
    for await (const rows of session.stream("SELECT range AS i FROM range(5000)"))
      chunks.push(rows);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flat()).toHaveLength(5000);
    await session.close();
  });
});

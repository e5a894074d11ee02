import { describe, expect, it } from "vitest";
import { parseModelStatement, SqlError, SqlErrorCode, splitStatements } from "../src/index.js";
import { renderCreateModel } from "../src/sql/model-ddl.js";

function parse(sql: string) {
  const [statement] = splitStatements(sql);
  if (statement === undefined) throw new Error("no statement");
  return parseModelStatement(statement.tokens);
}

function syntaxError(sql: string): SqlError {
  try {
    parse(sql);
  } catch (error) {
    expect(error).toBeInstanceOf(SqlError);
    return error as SqlError;
  }
  throw new Error(`parsed: ${sql}`);
}

const FLINK_DDL = `CREATE TEMPORARY MODEL IF NOT EXISTS \`cat\`.db.fraud
INPUT (features ARRAY<FLOAT NOT NULL> COMMENT 'standardized', \`id\` BIGINT)
OUTPUT (fraud_score DOUBLE PRECISION)
COMMENT 'it''s the demo'
WITH (
  'provider' = 'triton', -- Flink's provider
  'endpoint' = 'http://127.0.0.1:8000/v2/models',
  /* a block comment */ 'model-name' = 'fraud'
)`;

describe("CREATE MODEL", () => {
  it("parses Flink's full form: TEMPORARY, IF NOT EXISTS, qualified name, column comments, COMMENT, WITH", () => {
    const statement = parse(FLINK_DDL);
    expect(statement).toMatchObject({
      kind: "create",
      temporary: true,
      ifNotExists: true,
      definition: {
        name: "cat.db.fraud",
        comment: "it's the demo",
        options: {
          provider: "triton",
          endpoint: "http://127.0.0.1:8000/v2/models",
          "model-name": "fraud",
        },
      },
    });
    if (statement.kind !== "create") throw new Error(statement.kind);
    expect(statement.definition.inputs.map((c) => [c.name, c.type.text, c.comment])).toEqual([
      ["features", "ARRAY<FLOAT NOT NULL>", "standardized"],
      ["id", "BIGINT", undefined],
    ]);
    expect(statement.definition.outputs[0]?.type).toMatchObject({ kind: "scalar", name: "DOUBLE" });
  });

  it("renders a definition that parses back to itself (SHOW CREATE MODEL)", () => {
    const statement = parse(FLINK_DDL);
    if (statement.kind !== "create") throw new Error(statement.kind);
    const again = parse(renderCreateModel(statement.definition, true));
    expect(again).toEqual({ ...statement, ifNotExists: false });
  });

  it("points at the line and column of a syntax error", () => {
    const error = syntaxError(
      "CREATE MODEL m\nINPUT (x FLOAT)\nOUTPUT (y FLAOT)\nWITH ('provider' = 'triton')",
    );
    expect(error.code).toBe(SqlErrorCode.SyntaxError);
    expect(error.position).toEqual({ line: 3, column: 11 });
    expect(error.message).toMatch(/^syntax error at line 3, column 11: "FLAOT" is not a type/);
  });

  it("takes INPUT and OUTPUT together or neither", () => {
    expect(syntaxError("CREATE MODEL m INPUT (x FLOAT) WITH ('a' = 'b')").message).toContain(
      "INPUT (...) must be followed by OUTPUT (...)",
    );
    expect(syntaxError("CREATE MODEL m OUTPUT (x FLOAT) WITH ('a' = 'b')").message).toContain(
      "OUTPUT (...) without INPUT (...)",
    );
    expect(parse("CREATE MODEL m WITH ('provider' = 'gpu-sidecar')")).toMatchObject({
      definition: { inputs: [], outputs: [] },
    });
  });

  it("refuses an empty WITH, a missing WITH, a duplicate key and an unclosed string", () => {
    expect(syntaxError("CREATE MODEL m WITH ()").message).toContain("WITH () is empty");
    expect(syntaxError("CREATE MODEL m").message).toContain("expected WITH");
    expect(syntaxError("CREATE MODEL m WITH ('a' = 'b', 'a' = 'c')").message).toContain(
      "option 'a' is given twice",
    );
    const unclosed = syntaxError("CREATE MODEL m WITH ('a' = 'b)");
    expect(unclosed.position).toEqual({ line: 1, column: 28 });
  });

  it("refuses the AS SELECT training form clearly", () => {
    const error = syntaxError(
      "CREATE MODEL m WITH ('task' = 'classification') AS SELECT * FROM training",
    );
    expect(error.code).toBe(SqlErrorCode.Unsupported);
    expect(error.message).toMatch(/AS SELECT .*trains a model, which this engine does not do/);
  });
});

describe("the other model statements", () => {
  it("parses DROP, ALTER, SHOW and DESCRIBE as Flink does", () => {
    expect(parse("DROP TEMPORARY MODEL IF EXISTS m")).toEqual({
      kind: "drop",
      temporary: true,
      ifExists: true,
      name: "m",
    });
    expect(parse("ALTER MODEL IF EXISTS m RENAME TO n")).toEqual({
      kind: "rename",
      ifExists: true,
      name: "m",
      newName: "n",
    });
    expect(parse("ALTER MODEL m SET ('timeout' = '5s')")).toMatchObject({
      kind: "set",
      options: { timeout: "5s" },
    });
    expect(parse("ALTER MODEL m RESET ('timeout', 'priority')")).toMatchObject({
      kind: "reset",
      keys: ["timeout", "priority"],
    });
    expect(parse("SHOW MODELS")).toEqual({ kind: "show-models" });
    expect(parse("SHOW MODELS LIKE 'fr%'")).toEqual({ kind: "show-models", like: "fr%" });
    expect(parse("SHOW CREATE MODEL m")).toEqual({ kind: "show-create", name: "m" });
    expect(parse("DESC MODEL `a b`")).toEqual({ kind: "describe", name: "a b" });
  });

  it("names what it expected and what it found", () => {
    expect(syntaxError("ALTER MODEL m DROP x").message).toBe(
      'syntax error at line 1, column 15: expected RENAME TO, SET (...) or RESET (...) after ALTER MODEL m, found "DROP"',
    );
    expect(syntaxError("DROP MODEL m extra").message).toContain('unexpected "extra"');
  });
});

describe("splitStatements", () => {
  it("splits at semicolons outside strings, quoted names and comments", () => {
    const statements = splitStatements(
      "SELECT ';' AS \"a;b\"; -- one; two\n/* ; */ SELECT 2;;\n  SELECT 3",
    );
    expect(statements.map((s) => s.text)).toEqual([
      "SELECT ';' AS \"a;b\"",
      "SELECT 2",
      "SELECT 3",
    ]);
    expect(statements[2]?.tokens[0]).toMatchObject({ line: 3, column: 3 });
  });
});

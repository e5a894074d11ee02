import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { fraudScore, syntheticTransaction } from "@gpu-sidecar/sidecar-server/demo-model";
import {
  type SpawnedSidecarAddresses,
  spawnSidecar,
  stopAllSidecars,
} from "@gpu-sidecar/sidecar-server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The gpu-sidecar-sql shell as a user meets it: a process, a database file, a real sidecar.
const packageJson = createRequire(import.meta.url).resolve("@gpu-sidecar/sql-udf/package.json");
const SHELL = join(
  dirname(packageJson),
  (JSON.parse(readFileSync(packageJson, "utf8")) as { bin: Record<string, string> }).bin[
    "gpu-sidecar-sql"
  ] as string,
);
const dir = mkdtempSync(join(tmpdir(), "sql-shell-"));
const database = join(dir, "shop.duckdb");
const ROWS = 3000;
let sidecar: SpawnedSidecarAddresses;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

async function shell(args: readonly string[], stdin?: string): Promise<Run> {
  const child = spawn(process.execPath, [SHELL, "--no-history", ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (part: Buffer) => {
    stdout += part.toString();
  });
  child.stderr.on("data", (part: Buffer) => {
    stderr += part.toString();
  });
  child.stdin.end(stdin ?? "");
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  return { code, stdout, stderr };
}

beforeAll(async () => {
  sidecar = await spawnSidecar({ uds: join(dir, "sidecar.sock") }).serving;
  const values = Array.from(
    { length: ROWS },
    (_, id) => `(${id}, [${[...syntheticTransaction(id)].join(",")}])`,
  );
  writeFileSync(
    join(dir, "setup.sql"),
    `CREATE TABLE tx (id INTEGER, features FLOAT[]);\nINSERT INTO tx VALUES ${values.join(",\n")};\n` +
      `CREATE MODEL fraud
       INPUT (features ARRAY<FLOAT>)
       OUTPUT (fraud_score FLOAT)
       WITH ('provider' = 'triton', 'endpoint' = '${sidecar.httpUrl}/v2/models', 'model-name' = 'fraud');\n`,
  );
}, 60_000);

afterAll(async () => {
  await stopAllSidecars(1_000);
  rmSync(dir, { recursive: true, force: true });
});

describe("gpu-sidecar-sql", { timeout: 60_000 }, () => {
  it("runs a file against a database file, then -c sees its model and prints ML_PREDICT as a table with a rows/s line", async () => {
    const setup = await shell(["--database", database, "-f", join(dir, "setup.sql")]);
    expect(setup.stderr).toBe("");
    expect(setup.code).toBe(0);
    expect(setup.stdout).toContain("model `fraud` created");

    const run = await shell([
      "--database",
      database,
      "--progress-interval",
      "0",
      "-c",
      "SHOW MODELS; SELECT id, fraud_score FROM ML_PREDICT(TABLE tx, MODEL fraud, DESCRIPTOR(features)) ORDER BY id LIMIT 3;",
    ]);
    expect(run.code).toBe(0);
    const score = (id: number) =>
      String(Number((fraudScore(syntheticTransaction(id), 1)[0] as number).toPrecision(7)));
    const lines = run.stdout.split("\n");
    expect(lines.slice(0, 4)).toEqual(["model name", "----------", "fraud", "(1 row)"]);
    expect(lines[4]).toMatch(/^id \| +fraud_score$/);
    for (const id of [0, 1, 2])
      expect(lines[6 + id]).toMatch(new RegExp(`^ *${id} \\| +${score(id).replace(".", "\\.")}$`));
    expect(lines[9]).toBe("(3 rows)");
    expect(run.stderr).toMatch(/ML_PREDICT fraud: 2,048 rows · [\d,]+ rows\/s/);
    expect(run.stderr).toMatch(/ML_PREDICT fraud: 3,000 rows · [\d,]+ rows\/s · \d+\.\d s\n$/);
  });

  it("reads statements from standard input across lines, keeps going after an error", async () => {
    const run = await shell(
      ["--database", database],
      "SELECT count(*) AS n\n  FROM tx;\nSELECT * FROM ML_PREDICT(TABLE tx, MODEL fraud, DESCRIPTOR(feature));\nDESCRIBE MODEL fraud;\n",
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("   n\n----\n3000\n(1 row)");
    expect(run.stderr).toContain(
      "error [UNKNOWN_COLUMN]: DESCRIPTOR column `feature` is not a column of table tx; its columns are: id, features",
    );
    expect(run.stdout).toMatch(/features +\| ARRAY<FLOAT> \| true +\| true/);
  });

  it("exits 1 with the line and column of a syntax error", async () => {
    const run = await shell([
      "-c",
      "CREATE MODEL m\nINPUT (x FLOAT)\nOUTPUT (y FLAOT)\nWITH ('provider' = 'triton')",
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error [SYNTAX_ERROR]: syntax error at line 3, column 11: "FLAOT" is not a type a model column can have: Flink\'s KServe mapping takes BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, STRING (VARCHAR), ARRAY<...> of those\n',
    );
  });

  it("refuses -c with -f as a usage error", async () => {
    const { code, stderr } = await promisify(execFile)(process.execPath, [
      SHELL,
      "-c",
      "SELECT 1",
      "-f",
      "x.sql",
    ]).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(code).not.toBe(0);
    expect(stderr).toContain("give -c or -f, not both");
  });
});

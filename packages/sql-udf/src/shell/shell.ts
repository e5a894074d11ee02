#!/usr/bin/env node
import { appendFileSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Command, InvalidArgumentError } from "commander";
import { SqlError } from "../sql-error.js";
import { createSqlSession, type SqlSession } from "../sql-session.js";
import { createProgressReporter, type ProgressReporter } from "./progress-reporter.js";
import { formatResult } from "./result-table.js";
import { isCompleteInput } from "./statement-buffer.js";

interface ShellOptions {
  readonly database: string;
  readonly command?: string;
  readonly file?: string;
  readonly history: string | false;
  readonly progressInterval: number;
}

function interval(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError("expected milliseconds, e.g. 500");
  return n;
}

const program = new Command("gpu-sidecar-sql")
  .description(
    "A SQL shell on DuckDB with Flink's CREATE MODEL and ML_PREDICT, scored by a gpu-sidecar.\n" +
      "Without -c or -f it reads statements at a prompt; end each with a semicolon.",
  )
  .option(
    "--database <file>",
    "a DuckDB database file (kept, models included); default: in memory",
    ":memory:",
  )
  .option("-c, --command <sql>", "run these statements, print the results and exit")
  .option("-f, --file <path>", "run the statements of a file, print the results and exit")
  .option(
    "--history <file>",
    "the prompt's history file",
    join(homedir(), ".gpu_sidecar_sql_history"),
  )
  .option("--no-history", "keep no history file")
  .option("--progress-interval <ms>", "how often ML_PREDICT's rows/s line updates", interval, 500)
  .showHelpAfterError();

async function runScript(
  session: SqlSession,
  sql: string,
  progress: ProgressReporter,
): Promise<boolean> {
  try {
    for await (const result of session.results(sql)) {
      progress.finish();
      process.stdout.write(`${formatResult(result)}\n`);
    }
    return true;
  } catch (error) {
    progress.finish();
    const failure = SqlError.from(error);
    process.stderr.write(`error [${failure.code}]: ${failure.message}\n`);
    return false;
  }
}

function loadHistory(file: string | false): string[] {
  if (file === false) return [];
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean).reverse();
  } catch {
    return [];
  }
}

async function interactive(
  session: SqlSession,
  options: ShellOptions,
  progress: ProgressReporter,
): Promise<void> {
  const terminal = process.stdin.isTTY === true;
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal,
    history: loadHistory(options.history),
    historySize: 1000,
  });
  if (terminal) {
    process.stdout.write(
      "gpu-sidecar-sql: Flink's CREATE MODEL and ML_PREDICT on DuckDB. End statements with ';', quit with .quit or Ctrl-D.\n",
    );
  }
  // Piped input gets results only, as psql does.
  const prompt = (continued: boolean) => {
    if (!terminal) return;
    rl.setPrompt(continued ? "   ...> " : "sql> ");
    rl.prompt();
  };
  let buffer = "";
  prompt(false);
  for await (const line of rl) {
    if (buffer === "" && /^\s*(\.quit|\.exit|quit|exit)\s*;?\s*$/i.test(line)) break;
    buffer += `${line}\n`;
    if (!isCompleteInput(buffer)) {
      prompt(buffer.trim() !== "");
      if (buffer.trim() === "") buffer = "";
      continue;
    }
    const script = buffer.trim();
    buffer = "";
    if (options.history !== false) {
      try {
        appendFileSync(options.history, `${script.replaceAll("\n", " ")}\n`, { mode: 0o600 });
      } catch {
        // A read-only home keeps the history of this run only.
      }
    }
    rl.pause();
    await runScript(session, script, progress);
    rl.resume();
    prompt(false);
  }
  if (buffer.trim() !== "") await runScript(session, buffer, progress);
  rl.close();
}

async function main(): Promise<number> {
  program.parse();
  const options = program.opts<ShellOptions>();
  if (options.command !== undefined && options.file !== undefined) {
    program.error("give -c or -f, not both");
  }
  const progress = createProgressReporter(process.stderr, options.progressInterval);
  let session: SqlSession;
  try {
    session = await createSqlSession({
      database: options.database,
      onProgress: progress.onProgress,
    });
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    if (options.command !== undefined)
      return (await runScript(session, options.command, progress)) ? 0 : 1;
    if (options.file !== undefined) {
      let sql: string;
      try {
        sql = readFileSync(options.file, "utf8");
      } catch (error) {
        process.stderr.write(`error: cannot read ${options.file}: ${(error as Error).message}\n`);
        return 1;
      }
      return (await runScript(session, sql, progress)) ? 0 : 1;
    }
    await interactive(session, options, progress);
    return 0;
  } finally {
    await session.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`gpu-sidecar-sql: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);

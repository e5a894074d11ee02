import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/** One pino JSON line of the sidecar's log. */
export type LogRecord = Readonly<Record<string, unknown>> & { readonly msg?: string };

export interface SidecarProcess {
  readonly child: ChildProcess;
  readonly http: number;
  readonly grpc: number;
  readonly logs: readonly LogRecord[];
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Resolves with the first log record whose `msg` is `msg` (earlier ones included). */
  waitForLog(msg: string): Promise<LogRecord>;
  /** Kills the process if it still runs. */
  kill(): void;
}

/**
 * Runs `node dist/cli.js serve <args>` on ephemeral ports and resolves once it logs
 * "serving", with the ports from its "listening" line.
 */
export async function spawnSidecar(args: readonly string[]): Promise<SidecarProcess> {
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--http-port", "0", "--grpc-port", "0", "--metrics-port", "false", ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const logs: LogRecord[] = [];
  const waiters: { msg: string; resolve: (record: LogRecord) => void }[] = [];
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on(
    "line",
    (line) => {
      let record: LogRecord;
      try {
        record = JSON.parse(line) as LogRecord;
      } catch {
        return;
      }
      logs.push(record);
      for (const waiter of waiters.filter((candidate) => candidate.msg === record.msg)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(record);
      }
    },
  );
  const waitForLog = (msg: string) =>
    new Promise<LogRecord>((resolve, reject) => {
      const seen = logs.find((record) => record.msg === msg);
      if (seen !== undefined) {
        resolve(seen);
        return;
      }
      waiters.push({ msg, resolve });
      void exited.then((code) =>
        reject(new Error(`sidecar exited (${code}) before logging "${msg}": ${stderr}`)),
      );
    });
  const listening = await waitForLog("listening");
  await waitForLog("serving");
  return {
    child,
    http: listening.http as number,
    grpc: listening.grpc as number,
    logs,
    exited,
    waitForLog,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const EXAMPLE_DIR = fileURLToPath(new URL("..", import.meta.url));

interface JobRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node main.mjs …` as a user would (stdout a pipe, so progress comes as plain lines);
 * `onStdout` sees the output as it arrives and may signal the process.
 */
function runJob(
  args: readonly string[],
  onStdout?: (stdout: string, signal: (name: NodeJS.Signals) => void) => void,
): Promise<JobRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["main.mjs", ...args], {
      cwd: EXAMPLE_DIR,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      onStdout?.(stdout, (name) => child.kill(name));
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The sidecar's pid and socket path, from the job's first line. */
function sidecarOf(stdout: string): { pid: number; socketPath: string } {
  const match = /^sidecar pid (\d+) starting on unix:\/\/(\S+)$/m.exec(stdout);
  expect(match, stdout).not.toBeNull();
  return { pid: Number(match?.[1]), socketPath: match?.[2] ?? "" };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

describe("the main job", () => {
  it("scores 400 records from 2 workers, matches the reference and leaves no socket or process", async () => {
    const run = await runJob(["--records", "400", "--workers", "2"]);
    const output = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
    expect(run.code, output).toBe(0);

    const { pid, socketPath } = sidecarOf(run.stdout);
    expect(run.stdout).toMatch(
      /^summary: 400 records in \d+\.\d\d s · \d+ records\/s · avg batch \d+\.\d rows \(from requests of \d+\.\d rows\) · p50 \d+\.\d ms · p99 \d+\.\d ms$/m,
    );
    const check =
      /^reference check: (\d+) of (\d+) sampled scores match fraudScore within 1e-5 /m.exec(
        run.stdout,
      );
    expect(check, output).not.toBeNull();
    expect(Number(check?.[1])).toBeGreaterThan(0);
    expect(check?.[1]).toBe(check?.[2]);
    expect(run.stdout).toMatch(/^ {2}seed +\d+ {2}fraud score 0\.\d{6} {2}reference 0\.\d{6}$/m);
    expect(run.stdout).toContain(`sidecar pid ${pid} exited 0 after SIGTERM; socket removed`);
    expect(run.stderr).not.toMatch(/error/i);

    expect(existsSync(socketPath)).toBe(false);
    expect(isRunning(pid)).toBe(false);
  });

  it("on Ctrl-C drains what is in flight, prints its summary, stops the sidecar and exits 130", async () => {
    let interrupted = false;
    const run = await runJob(["--duration", "60", "--workers", "2"], (stdout, signal) => {
      // The first progress line: the workers are streaming.
      if (!interrupted && /^\[ *\d+\.\d s\] /m.test(stdout)) {
        interrupted = true;
        signal("SIGINT");
      }
    });
    const output = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
    expect(interrupted, output).toBe(true);
    expect(run.code, output).toBe(130);

    const { pid, socketPath } = sidecarOf(run.stdout);
    expect(run.stdout).toMatch(/^summary: \d+ records in .* \(interrupted\)$/m);
    expect(run.stdout).toMatch(/^reference check: (\d+) of \1 sampled scores match/m);
    expect(run.stdout).toContain(`sidecar pid ${pid} exited 0 after SIGTERM; socket removed`);
    expect(existsSync(socketPath)).toBe(false);
    expect(isRunning(pid)).toBe(false);
  });

  it("rejects a bad option with its usage and exit code 2, starting nothing", async () => {
    const run = await runJob(["--workers", "0"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--workers is "0", expected an integer ≥ 1');
    expect(run.stderr).toContain("Usage: node main.mjs");
    expect(run.stdout).toBe("");
  });
});

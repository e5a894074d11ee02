import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const EXAMPLE_DIR = fileURLToPath(new URL("..", import.meta.url));

function runExample(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["main.mjs", ...args], {
      cwd: EXAMPLE_DIR,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

it("places tasks with GPU shares, loses a SIGKILLed sidecar, re-places its tasks and loses no record", async () => {
  const { code, stdout, stderr } = await runExample([
    "--seconds",
    "4",
    "--kill-after",
    "1.5",
    "--rate",
    "100",
  ]);
  expect(code, `${stdout}\n${stderr}`).toBe(0);
  expect(stdout).toMatch(/FAKE nvidia-smi .*: 2 simulated GPUs; this machine has no GPU/);
  // spread: two tasks on each GPU, a quarter of it each.
  expect(stdout).toMatch(/placed {3}task-a on gpu0 \(GPU 0, share 0\.25\)/);
  expect(stdout).toMatch(/placed {3}task-b on gpu1 \(GPU 1, share 0\.25\)/);
  expect(stdout).toMatch(/SIGKILL the sidecar of GPU 1/);
  expect(stdout).toMatch(
    /LOST {5}gpu1: sidecar unix:\/\/.*gpu1\.sock unreachable for \d+ ms \(grace 1000 ms\); revoked task-b, task-d/,
  );
  expect(stdout).toMatch(
    /replaced task-b: gpu1 \(GPU 1, share 0\.25\) -> gpu0 \(GPU 0, share 0\.25\)/,
  );
  expect(stdout).toMatch(
    /replaced task-d: gpu1 \(GPU 1, share 0\.25\) -> gpu0 \(GPU 0, share 0\.25\)/,
  );
  expect(stdout).toMatch(/GPU 0 \(gpu0, sidecar serving\): free 0; holds/);
  const summary = /summary: 4 tasks · (\d+) records produced · (\d+) scored · (\d+) lost/.exec(
    stdout,
  );
  expect(summary, stdout).not.toBeNull();
  const [, produced, scored, lost] = summary as RegExpExecArray;
  expect(Number(produced)).toBeGreaterThan(0);
  expect(scored).toBe(produced);
  expect(lost).toBe("0");
});

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { createGpuCoordinator, type GpuInfo, ResourceProfileErrorCode } from "../src/index.js";
import { catchError, catchRejection } from "./catch-error.js";
import { makeTempDir } from "./fake-command.js";

const dir = makeTempDir("gpu-coordinator");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
/** A state file no other test touches. */
function freshStateFile(): string {
  fileCount += 1;
  return join(dir, `run-${fileCount}`, "gpus.json");
}

function fakeGpus(count: number): GpuInfo[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    uuid: `GPU-${index}`,
    name: "Fake GPU",
    memoryTotalBytes: 1024,
  }));
}

/** The pid of a process that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  if (child.pid === undefined) throw new Error("the child did not start");
  return child.pid;
}

describe("GpuCoordinator in one process", () => {
  test("leases the lowest free indexes and records pid per index", async () => {
    const coordinator = createGpuCoordinator({ stateFile: freshStateFile() });
    const first = await coordinator.acquire(fakeGpus(4), 2, process.pid);
    expect(first.map((gpu) => gpu.index)).toEqual([0, 1]);
    const more = await coordinator.acquire(fakeGpus(4), 1, process.pid);
    expect(more.map((gpu) => gpu.index)).toEqual([2]);
    expect([...(await coordinator.holders())]).toEqual([
      [0, process.pid],
      [1, process.pid],
      [2, process.pid],
    ]);
    expect(JSON.parse(readFileSync(coordinator.stateFile, "utf8"))).toEqual({
      version: 1,
      holders: { "0": process.pid, "1": process.pid, "2": process.pid },
    });
  });

  test("too few free GPUs is NOT_ENOUGH_GPUS and leases nothing", async () => {
    const coordinator = createGpuCoordinator({ stateFile: freshStateFile() });
    await coordinator.acquire(fakeGpus(3), 2);
    const error = await catchRejection(coordinator.acquire(fakeGpus(3), 2));
    expect(error.code).toBe(ResourceProfileErrorCode.NotEnoughGpus);
    expect(error.message).toContain(
      `requested 2 GPU(s) but only 1 of 3 are free (held: 0 by pid ${process.pid}, 1 by pid ${process.pid}`,
    );
    expect((await coordinator.holders()).size).toBe(2);
  });

  test("indexes held by dead processes are reclaimed", async () => {
    const coordinator = createGpuCoordinator({ stateFile: freshStateFile() });
    const dead = await deadPid();
    await coordinator.acquire(fakeGpus(2), 2, dead);
    expect((await coordinator.holders()).size).toBe(0);
    const granted = await coordinator.acquire(fakeGpus(2), 2);
    expect(granted.map((gpu) => gpu.index)).toEqual([0, 1]);
  });

  test("release frees all of a pid's leases, or only the named indexes", async () => {
    const coordinator = createGpuCoordinator({ stateFile: freshStateFile() });
    await coordinator.acquire(fakeGpus(4), 3);
    expect(await coordinator.release(process.pid, [1])).toEqual([1]);
    expect([...(await coordinator.holders()).keys()]).toEqual([0, 2]);
    expect(await coordinator.release()).toEqual([0, 2]);
    expect((await coordinator.holders()).size).toBe(0);
  });

  test("a corrupt state file is COORDINATION_FAILED naming the file", async () => {
    const stateFile = freshStateFile();
    const coordinator = createGpuCoordinator({ stateFile });
    await coordinator.holders();
    writeFileSync(stateFile, '{"version":1,"holders":{"0":"me"}}');
    const error = await catchRejection(coordinator.acquire(fakeGpus(1), 1));
    expect(error.code).toBe(ResourceProfileErrorCode.CoordinationFailed);
    expect(error.message).toContain(
      `${stateFile} is not a GPU coordination state file (entry "0": "me")`,
    );
  });

  test.each([
    [{ stateFile: "" }, 'stateFile: ""'],
    [
      { stateFile: "s.json", lockStaleMs: 500 },
      "lockStaleMs: 500 is invalid; use at least 2000 ms",
    ],
    [{ stateFile: "s.json", lockRetries: -1 }, "lockRetries: -1"],
  ])("option %j is rejected", (options, message) => {
    const error = catchError(() => createGpuCoordinator(options));
    expect(error.code).toBe(ResourceProfileErrorCode.InvalidArgument);
    expect(error.message).toContain(message);
  });

  test("an unusable state file path is COORDINATION_FAILED", async () => {
    const blocker = join(dir, "not-a-directory");
    writeFileSync(blocker, "");
    const coordinator = createGpuCoordinator({ stateFile: join(blocker, "gpus.json") });
    const error = await catchRejection(coordinator.holders());
    expect(error.code).toBe(ResourceProfileErrorCode.CoordinationFailed);
    expect(error.message).toContain(`could not lock ${blocker}`);
  });

  test.each([
    [
      () => createGpuCoordinator({ stateFile: freshStateFile() }).acquire(fakeGpus(1), -1),
      "GPU count: -1",
    ],
    [
      () => createGpuCoordinator({ stateFile: freshStateFile() }).acquire(fakeGpus(1), 1, 0),
      "pid: 0",
    ],
  ])("bad arguments are rejected (%#)", async (run, message) => {
    const error = await catchRejection(run());
    expect(error.code).toBe(ResourceProfileErrorCode.InvalidArgument);
    expect(error.message).toContain(message);
  });
});

describe("GpuCoordinator across real processes", () => {
  const fixture = join(import.meta.dirname, "fixtures", "claim-gpus.mjs");
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map(stopChild));
  });

  interface Claim {
    readonly pid: number;
    readonly granted?: number[];
    readonly error?: string;
  }

  /** Starts a worker leasing `wanted` of `gpuCount` GPUs; resolves with its report line. */
  async function claim(
    stateFile: string,
    gpuCount: number,
    wanted: number,
  ): Promise<{ child: ChildProcess; claim: Claim }> {
    const child = spawn(process.execPath, [fixture, stateFile, String(gpuCount), String(wanted)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    children.push(child);
    if (child.stdout === null) throw new Error("no stdout");
    const lines = createInterface({ input: child.stdout });
    const [line] = (await once(lines, "line")) as [string];
    lines.close();
    return { child, claim: JSON.parse(line) as Claim };
  }

  test("concurrent workers never get the same index, and losers get NOT_ENOUGH_GPUS", async () => {
    const stateFile = freshStateFile();
    // 5 workers × 2 GPUs against 8 GPUs: exactly 4 fit.
    const results = await Promise.all(Array.from({ length: 5 }, () => claim(stateFile, 8, 2)));
    const claims = results.map((result) => result.claim);
    const granted = claims.flatMap((c) => c.granted ?? []);
    expect(granted.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(claims.filter((c) => c.granted?.length === 2)).toHaveLength(4);
    expect(claims.filter((c) => c.error === ResourceProfileErrorCode.NotEnoughGpus)).toHaveLength(
      1,
    );

    const holders = await createGpuCoordinator({ stateFile }).holders();
    for (const c of claims) {
      for (const index of c.granted ?? []) expect(holders.get(index)).toBe(c.pid);
    }
  });

  test("the GPUs of a worker killed with SIGKILL go to the next worker", async () => {
    const stateFile = freshStateFile();
    const first = await claim(stateFile, 4, 2);
    const second = await claim(stateFile, 4, 2);
    expect(first.claim.granted).toEqual([0, 1]);
    expect(second.claim.granted).toEqual([2, 3]);
    expect((await claim(stateFile, 4, 1)).claim.error).toBe(ResourceProfileErrorCode.NotEnoughGpus);

    const exited = once(first.child, "exit");
    first.child.kill("SIGKILL");
    await exited;
    const third = await claim(stateFile, 4, 2);
    expect(third.claim.granted).toEqual([0, 1]);
    const holders = await createGpuCoordinator({ stateFile }).holders();
    expect([...holders]).toEqual([
      [0, third.claim.pid],
      [1, third.claim.pid],
      [2, second.claim.pid],
      [3, second.claim.pid],
    ]);
  });
});

/** Ends a fixture worker by closing its stdin, and waits until it has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.stdin?.end();
  await exited;
}

import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  GPU_STATUS_QUERY_ARGS,
  parseGpuStatusOutput,
  ResourceProfileErrorCode,
  readGpuStatus,
} from "../src/index.js";
import { catchError, catchRejection } from "./catch-error.js";
import { makeTempDir, writeFakeCommand } from "./fake-command.js";

const MIB = 1_048_576;
const dir = makeTempDir("gpu-status");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("parseGpuStatusOutput", () => {
  test("reads memory used, free and utilization after the discovery fields", () => {
    const output = [
      "1, GPU-b, Tesla T4, rev 2, 15360, 1024, 14336, 37",
      "0, GPU-a, NVIDIA H100 80GB HBM3, 81559, 0, 81559, 0",
    ].join("\n");
    expect(parseGpuStatusOutput(output)).toEqual([
      {
        index: 0,
        uuid: "GPU-a",
        name: "NVIDIA H100 80GB HBM3",
        memoryTotalBytes: 81_559 * MIB,
        memoryUsedBytes: 0,
        memoryFreeBytes: 81_559 * MIB,
        utilizationRatio: 0,
      },
      {
        index: 1,
        uuid: "GPU-b",
        name: "Tesla T4, rev 2",
        memoryTotalBytes: 15_360 * MIB,
        memoryUsedBytes: 1024 * MIB,
        memoryFreeBytes: 14_336 * MIB,
        utilizationRatio: 0.37,
      },
    ]);
  });

  test("a figure the GPU does not report is absent, not zero", () => {
    const [gpu] = parseGpuStatusOutput("0, MIG-x, A100, 40960, [N/A], [N/A], [Not Supported]");
    expect(gpu?.memoryUsedBytes).toBeUndefined();
    expect(gpu?.memoryFreeBytes).toBeUndefined();
    expect(gpu?.utilizationRatio).toBeUndefined();
  });

  test.each([
    ["0, GPU-a, T4, 15360, 10, 20", /expected 7 comma-separated fields, got 6/],
    ["0, GPU-a, T4, 15360, 10, lots, 3", /memory.free "lots" is not a number/],
    ["0, GPU-a, T4, 15360, 10, 20, 130", /utilization 130 exceeds 100/],
  ])("%j is refused naming the line", (line, reason) => {
    const error = catchError(() => parseGpuStatusOutput(`\n${line}`));
    expect(error.code).toBe(ResourceProfileErrorCode.DiscoveryOutputInvalid);
    expect(error.message).toContain(`line 2 ${JSON.stringify(line)}`);
    expect(error.message).toMatch(reason);
  });
});

describe("readGpuStatus with a fake nvidia-smi", () => {
  test("runs the status query", async () => {
    const args = join(dir, "args.txt");
    const command = writeFakeCommand(
      dir,
      "two-gpus",
      `echo "$@" > '${args}'\necho '0, GPU-a, T4, 15360, 15000, 360, 99'\necho '1, GPU-b, T4, 15360, 0, 15360, 0'`,
    );
    const gpus = await readGpuStatus({ command });
    expect(gpus.map((gpu) => [gpu.index, gpu.memoryFreeBytes])).toEqual([
      [0, 360 * MIB],
      [1, 15_360 * MIB],
    ]);
    expect(readFileSync(args, "utf8").trim()).toBe(GPU_STATUS_QUERY_ARGS.join(" "));
  });

  test("an abort kills the command and rejects", async () => {
    const command = writeFakeCommand(dir, "hangs", "sleep 30");
    const controller = new AbortController();
    const reading = readGpuStatus({ command, signal: controller.signal });
    controller.abort();
    const error = await catchRejection(reading);
    expect(error.code).toBe(ResourceProfileErrorCode.DiscoveryFailed);
    expect(error.message).toMatch(/was aborted/);
  });
});

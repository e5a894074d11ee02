import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  DEFAULT_GPU_DISCOVERY_ARGS,
  discoverGpus,
  gpuDiscoveryOptionsFor,
  parseWorkerDeclaration,
  ResourceProfileErrorCode,
  selectGpus,
} from "../src/index.js";
import { isProcessAlive } from "../src/process-liveness.js";
import { catchError, catchRejection } from "./catch-error.js";
import { makeTempDir, writeFakeCommand } from "./fake-command.js";

const dir = makeTempDir("gpu-discovery");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FOUR_GPUS = [
  "0, GPU-00000000-aaaa, NVIDIA H100 80GB HBM3, 81559",
  "1, GPU-11111111-bbbb, NVIDIA H100 80GB HBM3, 81559",
  "2, GPU-22222222-cccc, NVIDIA H100 80GB HBM3, 81559",
  "3, GPU-33333333-dddd, NVIDIA H100 80GB HBM3, 81559",
].join("\n");

describe("discoverGpus with a fake nvidia-smi", () => {
  test("several GPUs, and the query arguments are passed through", async () => {
    const args = join(dir, "args.txt");
    const command = writeFakeCommand(
      dir,
      "four-gpus",
      `echo "$@" > '${args}'\ncat <<'EOF'\n${FOUR_GPUS}\nEOF`,
    );
    const gpus = await discoverGpus({ command });
    expect(gpus.map((gpu) => gpu.index)).toEqual([0, 1, 2, 3]);
    expect(gpus[3]).toEqual({
      index: 3,
      uuid: "GPU-33333333-dddd",
      name: "NVIDIA H100 80GB HBM3",
      memoryTotalBytes: 81_559 * 1_048_576,
    });
    expect(readFileSync(args, "utf8").trim()).toBe(DEFAULT_GPU_DISCOVERY_ARGS.join(" "));
    expect(selectGpus(gpus, 2).map((gpu) => gpu.index)).toEqual([0, 1]);
  });

  test("no GPUs: empty output", async () => {
    const command = writeFakeCommand(dir, "no-gpus", "exit 0");
    expect(await discoverGpus({ command })).toEqual([]);
  });

  test("garbage output names the line", async () => {
    const command = writeFakeCommand(
      dir,
      "garbage",
      "echo '0, GPU-a, T4, 15360'\necho 'NVIDIA-SMI has failed'",
    );
    const error = await catchRejection(discoverGpus({ command }));
    expect(error.code).toBe(ResourceProfileErrorCode.DiscoveryOutputInvalid);
    expect(error.message).toContain('line 2 "NVIDIA-SMI has failed"');
  });

  test("a hanging command is killed at the timeout, with its children", async () => {
    const pidFile = join(dir, "hang.pid");
    // The script's child `sleep` would keep the output pipe open if only the shell were killed.
    const command = writeFakeCommand(dir, "hang", `sleep 30 &\necho $! > '${pidFile}'\nwait`);
    const error = await catchRejection(discoverGpus({ command, timeoutMs: 300 }));
    expect(error.code).toBe(ResourceProfileErrorCode.DiscoveryTimeout);
    expect(error.message).toContain("did not finish within 300 ms");
    const sleepPid = Number(readFileSync(pidFile, "utf8"));
    await expect.poll(() => isProcessAlive(sleepPid), { timeout: 5_000 }).toBe(false);
  });

  test("a non-zero exit reports the code and stderr", async () => {
    const command = writeFakeCommand(
      dir,
      "fails",
      'echo "NVIDIA-SMI couldn\'t find libnvidia-ml.so" >&2\nexit 9',
    );
    const error = await catchRejection(discoverGpus({ command }));
    expect(error.code).toBe(ResourceProfileErrorCode.DiscoveryFailed);
    expect(error.message).toContain("exited with code 9: NVIDIA-SMI couldn't find libnvidia-ml.so");
  });

  test("a missing binary is COMMAND_NOT_FOUND", async () => {
    const error = await catchRejection(discoverGpus({ command: join(dir, "no-such-nvidia-smi") }));
    expect(error.code).toBe(ResourceProfileErrorCode.DiscoveryCommandNotFound);
    expect(error.message).toContain("no-such-nvidia-smi");
  });

  test.each([
    [{ command: "" }, 'command: ""'],
    [{ timeoutMs: 0 }, 'timeoutMs: "0"'],
  ])("option %j is rejected", async (options, message) => {
    const error = await catchRejection(discoverGpus(options));
    expect(error.code).toBe(ResourceProfileErrorCode.InvalidArgument);
    expect(error.message).toContain(message);
  });
});

describe("selectGpus", () => {
  const gpus = [2, 0, 1].map((index) => ({
    index,
    uuid: `GPU-${index}`,
    name: "T4",
    memoryTotalBytes: 1,
  }));

  test("takes the lowest indexes first", () => {
    expect(selectGpus(gpus, 2).map((gpu) => gpu.index)).toEqual([0, 1]);
    expect(selectGpus(gpus, 0)).toEqual([]);
  });

  test("fewer than requested is NOT_ENOUGH_GPUS", () => {
    const error = catchError(() => selectGpus(gpus, 4));
    expect(error.code).toBe(ResourceProfileErrorCode.NotEnoughGpus);
    expect(error.message).toBe("requested 4 GPU(s) but only 3 are available (indexes: 0, 1, 2)");
  });

  test("a count that is not a whole number is rejected", () => {
    expect(catchError(() => selectGpus(gpus, 1.5)).message).toContain("GPU count: 1.5");
  });
});

describe("gpuDiscoveryOptionsFor", () => {
  test("reads Flink's discovery-script path and args", () => {
    const worker = parseWorkerDeclaration({
      "external-resources": "gpu",
      "external-resource.gpu.amount": "2",
      "external-resource.gpu.param.discovery-script.path": "/opt/nvidia-smi",
      "external-resource.gpu.param.discovery-script.args":
        " --query-gpu=index,uuid,name,memory.total  --format=csv ",
    });
    expect(gpuDiscoveryOptionsFor(worker, "gpu", 500)).toEqual({
      command: "/opt/nvidia-smi",
      args: ["--query-gpu=index,uuid,name,memory.total", "--format=csv"],
      timeoutMs: 500,
    });
  });

  test("defaults to nvidia-smi with the query arguments", () => {
    const worker = parseWorkerDeclaration({
      "external-resources": "gpu",
      "external-resource.gpu.amount": "1",
    });
    const options = gpuDiscoveryOptionsFor(worker);
    expect(options.command).toBe("nvidia-smi");
    expect(options.args).toEqual(DEFAULT_GPU_DISCOVERY_ARGS);
  });

  test("a resource the worker does not declare is UNKNOWN_RESOURCE", () => {
    const worker = parseWorkerDeclaration({
      "external-resources": "fpga",
      "external-resource.fpga.amount": "1",
    });
    const error = catchError(() => gpuDiscoveryOptionsFor(worker, "gpu"));
    expect(error.code).toBe(ResourceProfileErrorCode.UnknownResource);
    expect(error.message).toContain(
      'resource "gpu" is not declared by this worker (external-resources: fpga)',
    );
  });
});

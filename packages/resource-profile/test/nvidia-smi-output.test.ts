import { describe, expect, test } from "vitest";
import { parseNvidiaSmiOutput, ResourceProfileErrorCode } from "../src/index.js";
import { catchError } from "./catch-error.js";

describe("parseNvidiaSmiOutput", () => {
  test("reads one GPU per line, sorted by index, memory MiB to bytes", () => {
    const output = [
      "1, GPU-bbbb, NVIDIA A100-SXM4-40GB, 40960",
      "0, GPU-aaaa, NVIDIA H100 80GB HBM3, 81559",
      "",
    ].join("\n");
    expect(parseNvidiaSmiOutput(output)).toEqual([
      {
        index: 0,
        uuid: "GPU-aaaa",
        name: "NVIDIA H100 80GB HBM3",
        memoryTotalBytes: 81_559 * 1_048_576,
      },
      {
        index: 1,
        uuid: "GPU-bbbb",
        name: "NVIDIA A100-SXM4-40GB",
        memoryTotalBytes: 40_960 * 1_048_576,
      },
    ]);
  });

  test("a name with commas is kept whole", () => {
    expect(parseNvidiaSmiOutput("0, GPU-a, Tesla T4, rev 2, 15360")[0]?.name).toBe(
      "Tesla T4, rev 2",
    );
  });

  test("empty output means no GPUs", () => {
    expect(parseNvidiaSmiOutput("")).toEqual([]);
    expect(parseNvidiaSmiOutput("\n  \n")).toEqual([]);
  });

  test.each([
    ["No devices were found", 1, "expected 4 comma-separated fields, got 1"],
    ["0, GPU-a, T4, 15360\nx, GPU-b, T4, 15360", 2, 'index "x" is not a number'],
    ["0, GPU-a, T4, [N/A]", 1, 'memory.total "[N/A]" is not a whole number of MiB'],
    ["0, , T4, 15360", 1, 'uuid "" is empty'],
    ["0, GPU-a, , 15360", 1, "the name is empty"],
    ["0, GPU-a, T4, 15360\n0, GPU-b, T4, 15360", 2, "index 0 appears twice"],
    ["0, GPU-a, T4, 15360\n1, GPU-a, T4, 15360", 2, "uuid GPU-a appears twice"],
  ])("garbage %j names line %i", (output, line, reason) => {
    const error = catchError(() => parseNvidiaSmiOutput(output));
    expect(error.code).toBe(ResourceProfileErrorCode.DiscoveryOutputInvalid);
    expect(error.message).toContain(`line ${line} `);
    expect(error.message).toContain(JSON.stringify(output.split("\n")[line - 1]));
    expect(error.message).toContain(reason);
  });
});

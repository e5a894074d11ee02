import { describe, expect, test } from "vitest";
import { type GpuInfo, visibleGpus } from "../src/index.js";

const gpu = (index: number): GpuInfo => ({
  index,
  uuid: `GPU-${index}${index}${index}-abcd`,
  name: "NVIDIA L4",
  memoryTotalBytes: 24_000 * 1_048_576,
});
const FOUR = [gpu(0), gpu(1), gpu(2), gpu(3)];
const seen = (value: string | undefined) =>
  visibleGpus(FOUR, value).map(({ index, cudaDevice }) => [cudaDevice, index]);

describe("visibleGpus reads CUDA_VISIBLE_DEVICES as CUDA does", () => {
  test("unset: every GPU, CUDA devices numbered as nvidia-smi's indexes", () => {
    expect(seen(undefined)).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  test("a list selects and renumbers in its own order", () => {
    expect(seen("2,0")).toEqual([
      [0, 2],
      [1, 0],
    ]);
    expect(seen(" 3 ")).toEqual([[0, 3]]);
  });

  test("uuids and unique uuid prefixes name GPUs", () => {
    expect(seen("GPU-111,GPU-333-abcd")).toEqual([
      [0, 1],
      [1, 3],
    ]);
  });

  test("the list ends at the first entry that names no GPU or repeats one", () => {
    expect(seen("1,7,2")).toEqual([[0, 1]]);
    expect(seen("1,1,2")).toEqual([[0, 1]]);
    expect(seen("GPU-,2")).toEqual([]);
    expect(seen("MIG-abc,0")).toEqual([]);
  });

  test('"" and -1 hide every GPU', () => {
    expect(seen("")).toEqual([]);
    expect(seen("-1")).toEqual([]);
  });
});

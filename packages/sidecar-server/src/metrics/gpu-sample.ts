/** The arguments that make `nvidia-smi` print what `parseGpuSamples` reads. */
export const GPU_QUERY_ARGS: readonly string[] = Object.freeze([
  "--query-gpu=index,uuid,utilization.gpu,memory.used,memory.total",
  "--format=csv,noheader,nounits",
]);

/** One GPU's reading; a figure the GPU does not report (`[N/A]`, `[Not Supported]`) is absent. */
export interface GpuSample {
  /** The CUDA device index. */
  readonly index: number;
  readonly uuid: string;
  /** 0..1: the share of the last sample period in which a kernel ran. */
  readonly utilizationRatio: number | undefined;
  readonly memoryUsedBytes: number | undefined;
  readonly memoryTotalBytes: number | undefined;
}

const MIB = 1024 * 1024;
const EXPECTED = "index, uuid, utilization.gpu (%), memory.used (MiB), memory.total (MiB)";

/**
 * Parses `nvidia-smi` output for `GPU_QUERY_ARGS`, one GPU per line; blank lines are skipped.
 * Throws an Error naming the first line that is not such a reading (or repeats an index).
 */
export function parseGpuSamples(stdout: string): GpuSample[] {
  const samples: GpuSample[] = [];
  const lines = stdout.split(/\r?\n/);
  for (const [lineIndex, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const fail = (reason: string) =>
      new Error(
        `nvidia-smi output line ${lineIndex + 1} ${JSON.stringify(line)} is not "${EXPECTED}": ${reason}`,
      );
    const fields = line.split(",").map((field) => field.trim());
    if (fields.length !== 5) throw fail(`expected 5 comma-separated fields, got ${fields.length}`);
    const [indexText, uuid, utilization, used, total] = fields as [
      string,
      string,
      string,
      string,
      string,
    ];
    if (!/^\d+$/.test(indexText)) throw fail(`index ${JSON.stringify(indexText)} is not a number`);
    if (!/^\S+$/.test(uuid)) throw fail("the uuid is empty");
    const index = Number(indexText);
    if (samples.some((sample) => sample.index === index)) throw fail(`index ${index} repeats`);
    const percent = figure(utilization, "utilization.gpu", fail);
    if (percent !== undefined && percent > 100) throw fail(`utilization ${percent} exceeds 100`);
    const usedMiB = figure(used, "memory.used", fail);
    const totalMiB = figure(total, "memory.total", fail);
    samples.push({
      index,
      uuid,
      utilizationRatio: percent === undefined ? undefined : percent / 100,
      memoryUsedBytes: usedMiB === undefined ? undefined : usedMiB * MIB,
      memoryTotalBytes: totalMiB === undefined ? undefined : totalMiB * MIB,
    });
  }
  return samples;
}

/** A non-negative number, or undefined for nvidia-smi's bracketed "no value" words. */
function figure(text: string, name: string, fail: (reason: string) => Error): number | undefined {
  if (/^\[[^\]]*\]$/.test(text)) return undefined;
  if (!/^\d+(\.\d+)?$/.test(text)) throw fail(`${name} ${JSON.stringify(text)} is not a number`);
  return Number(text);
}

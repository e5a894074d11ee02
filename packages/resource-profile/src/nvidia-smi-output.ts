import type { GpuInfo } from "./gpu-info.js";
import type { GpuStatus } from "./gpu-status.js";
import { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";

const MIB = 1024 * 1024;
const INFO_EXPECTED = "index, uuid, name, memory.total (MiB)";
const STATUS_EXPECTED =
  "index, uuid, name, memory.total (MiB), memory.used (MiB), memory.free (MiB), utilization.gpu (%)";

/** One line of a `--query-gpu=index,uuid,name,<figures>` answer, checked field by field. */
interface NvidiaSmiRow {
  readonly gpu: GpuInfo;
  /** The figures after memory.total, as printed. */
  readonly figures: readonly string[];
  readonly fail: (reason: string) => ResourceProfileError;
}

/**
 * Splits `nvidia-smi --format=csv,noheader,nounits` output into rows of index, uuid, name,
 * memory.total and `extraFigures` more fields. GPU names may contain commas: index and uuid
 * lead, the figures end the line, the name is what lies between. Blank lines are skipped; rows
 * come back sorted by index, a repeated index or uuid being refused.
 */
function parseRows(stdout: string, expected: string, extraFigures: number): NvidiaSmiRow[] {
  const rows: NvidiaSmiRow[] = [];
  const minimum = 4 + extraFigures;
  stdout.split(/\r?\n/).forEach((raw, lineIndex) => {
    if (raw.trim() === "") return;
    const fail = (reason: string): ResourceProfileError =>
      new ResourceProfileError(
        ResourceProfileErrorCode.DiscoveryOutputInvalid,
        `GPU discovery output line ${lineIndex + 1} ${JSON.stringify(raw)} is not ` +
          `"${expected}": ${reason}`,
      );
    const fields = raw.split(",").map((field) => field.trim());
    if (fields.length < minimum) {
      throw fail(`expected ${minimum} comma-separated fields, got ${fields.length}`);
    }
    const [indexText = "", uuid = ""] = fields;
    const tail = fields.slice(fields.length - 1 - extraFigures);
    const [memoryText = ""] = tail;
    const name = fields.slice(2, fields.length - 1 - extraFigures).join(", ");
    if (!/^\d+$/.test(indexText)) throw fail(`index ${JSON.stringify(indexText)} is not a number`);
    if (!/^\S+$/.test(uuid)) throw fail(`uuid ${JSON.stringify(uuid)} is empty or has spaces`);
    if (name === "") throw fail("the name is empty");
    if (!/^\d+$/.test(memoryText)) {
      throw fail(`memory.total ${JSON.stringify(memoryText)} is not a whole number of MiB`);
    }
    const index = Number(indexText);
    const memoryTotalBytes = Number(memoryText) * MIB;
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(memoryTotalBytes)) {
      throw fail("a number is too large");
    }
    if (rows.some((row) => row.gpu.index === index)) throw fail(`index ${index} appears twice`);
    if (rows.some((row) => row.gpu.uuid === uuid)) throw fail(`uuid ${uuid} appears twice`);
    rows.push({ gpu: { index, uuid, name, memoryTotalBytes }, figures: tail.slice(1), fail });
  });
  return rows.sort((a, b) => a.gpu.index - b.gpu.index);
}

/**
 * Parses the output of
 * `nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader,nounits`:
 * one GPU per line, sorted by index. Blank output means no GPUs. Any other line, a repeated
 * index or uuid, or a value such as `[N/A]` throws `RP_ERR_DISCOVERY_OUTPUT_INVALID` naming
 * the line.
 */
export function parseNvidiaSmiOutput(stdout: string): GpuInfo[] {
  return parseRows(stdout, INFO_EXPECTED, 0).map((row) => row.gpu);
}

/**
 * Parses the output of `GPU_STATUS_QUERY_ARGS` (`index,uuid,name,memory.total,memory.used,
 * memory.free,utilization.gpu`), one GPU per line, sorted by index. A figure the GPU does not
 * report (`[N/A]`, `[Not Supported]`) is absent; anything else that is not a number throws
 * `RP_ERR_DISCOVERY_OUTPUT_INVALID` naming the line.
 */
export function parseGpuStatusOutput(stdout: string): GpuStatus[] {
  return parseRows(stdout, STATUS_EXPECTED, 3).map(({ gpu, figures, fail }) => {
    const [used = "", free = "", utilization = ""] = figures;
    const percent = optionalFigure(utilization, "utilization.gpu", fail);
    if (percent !== undefined && percent > 100) throw fail(`utilization ${percent} exceeds 100`);
    const usedMiB = optionalFigure(used, "memory.used", fail);
    const freeMiB = optionalFigure(free, "memory.free", fail);
    return {
      ...gpu,
      memoryUsedBytes: usedMiB === undefined ? undefined : usedMiB * MIB,
      memoryFreeBytes: freeMiB === undefined ? undefined : freeMiB * MIB,
      utilizationRatio: percent === undefined ? undefined : percent / 100,
    };
  });
}

/** A non-negative number, or undefined for nvidia-smi's bracketed "no value" words. */
function optionalFigure(
  text: string,
  name: string,
  fail: (reason: string) => ResourceProfileError,
): number | undefined {
  if (/^\[[^\]]*\]$/.test(text)) return undefined;
  if (!/^\d+(\.\d+)?$/.test(text)) throw fail(`${name} ${JSON.stringify(text)} is not a number`);
  return Number(text);
}

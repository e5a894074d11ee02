import type { GpuInfo } from "./gpu-info.js";
import { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";

const MIB = 1024 * 1024;
const EXPECTED = "index, uuid, name, memory.total (MiB)";

/**
 * Parses the output of
 * `nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader,nounits`:
 * one GPU per line, sorted by index. Blank output means no GPUs. Any other line, a repeated
 * index or uuid, or a value such as `[N/A]` throws `RP_ERR_DISCOVERY_OUTPUT_INVALID` naming
 * the line.
 */
export function parseNvidiaSmiOutput(stdout: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  stdout.split(/\r?\n/).forEach((raw, lineIndex) => {
    if (raw.trim() === "") return;
    const fail = (reason: string): ResourceProfileError =>
      new ResourceProfileError(
        ResourceProfileErrorCode.DiscoveryOutputInvalid,
        `GPU discovery output line ${lineIndex + 1} ${JSON.stringify(raw)} is not ` +
          `"${EXPECTED}": ${reason}`,
      );
    const fields = raw.split(",").map((field) => field.trim());
    if (fields.length < 4) throw fail(`expected 4 comma-separated fields, got ${fields.length}`);
    // GPU names may contain commas; index and uuid lead and memory ends the line.
    const [indexText = "", uuid = ""] = fields;
    const memoryText = fields.at(-1) ?? "";
    const name = fields.slice(2, -1).join(", ");
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
    if (gpus.some((gpu) => gpu.index === index)) throw fail(`index ${index} appears twice`);
    if (gpus.some((gpu) => gpu.uuid === uuid)) throw fail(`uuid ${uuid} appears twice`);
    gpus.push({ index, uuid, name, memoryTotalBytes });
  });
  return gpus.sort((a, b) => a.index - b.index);
}

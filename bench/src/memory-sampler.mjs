import { readFileSync } from "node:fs";

/** How often resident memory is sampled while a contender runs. */
const SAMPLE_INTERVAL_MS = 100;

/**
 * Resident memory of a process in bytes (`VmRSS` of /proc/<pid>/status, which counts every
 * thread of it, the sidecar's executor workers included); `undefined` once it has exited or
 * where there is no /proc.
 * @param {number} pid
 * @returns {number | undefined}
 */
export function residentBytes(pid) {
  let status;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match === null ? undefined : Number(match[1]) * 1024;
}

/**
 * @typedef {object} MemorySample
 * @property {number | undefined} peakTotalBytes Largest sum over all processes in one sample.
 * @property {Record<string, number | undefined>} peakBytes Largest sample of each named group.
 */

/**
 * Samples the resident memory of groups of processes until stopped. The total is the sum of
 * one sample over every process, so its peak is what the machine had to hold at once.
 * @param {Record<string, readonly number[]>} groups Process ids by group name.
 * @returns {{ stop(): MemorySample }}
 */
export function sampleMemory(groups) {
  /** @type {Record<string, number | undefined>} */
  const peakBytes = Object.fromEntries(Object.keys(groups).map((name) => [name, undefined]));
  /** @type {number | undefined} */
  let peakTotalBytes;
  const sample = () => {
    /** @type {number | undefined} */
    let total;
    for (const [name, pids] of Object.entries(groups)) {
      /** @type {number | undefined} */
      let group;
      for (const pid of pids) {
        const bytes = residentBytes(pid);
        if (bytes !== undefined) group = (group ?? 0) + bytes;
      }
      if (group === undefined) continue;
      peakBytes[name] = Math.max(peakBytes[name] ?? 0, group);
      total = (total ?? 0) + group;
    }
    if (total !== undefined) peakTotalBytes = Math.max(peakTotalBytes ?? 0, total);
  };
  sample();
  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakTotalBytes, peakBytes };
    },
  };
}

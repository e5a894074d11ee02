import { readFileSync } from "node:fs";

/** How often resident memory is sampled while a contender runs. */
const SAMPLE_INTERVAL_MS = 100;
/**
 * Clock ticks per second of /proc/<pid>/stat's CPU times: USER_HZ, which the Linux ABI fixes
 * at 100 on every architecture Node ships for.
 */
const TICKS_PER_SECOND = 100;

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
 * CPU time a process has used so far, user and system, all threads, in milliseconds
 * (utime + stime of /proc/<pid>/stat); `undefined` once it has exited or where there is no /proc.
 * @param {number} pid
 * @returns {number | undefined}
 */
export function cpuMilliseconds(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of the file are utime and stime; the slice starts at field 3.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/**
 * @typedef {object} ProcessSample
 * @property {number | undefined} peakTotalBytes Largest sum over all processes in one sample.
 * @property {Record<string, number | undefined>} peakBytes Largest sample of each named group.
 * @property {Record<string, number | undefined>} cpuMs CPU time each group used while sampled.
 */

/** @param {readonly number[]} pids */
function groupCpu(pids) {
  /** @type {number | undefined} */
  let total;
  for (const pid of pids) {
    const ms = cpuMilliseconds(pid);
    if (ms !== undefined) total = (total ?? 0) + ms;
  }
  return total;
}

/**
 * Samples the resident memory of groups of processes until stopped, and the CPU time they use
 * in between. The total is the sum of one sample over every process, so its peak is what the
 * machine had to hold at once. CPU time, unlike wall time, does not grow when other work on a
 * shared machine takes the CPUs, so CPU per row says where the cost is even on a noisy machine.
 * @param {Record<string, readonly number[]>} groups Process ids by group name.
 * @returns {{ stop(): ProcessSample }}
 */
export function sampleProcesses(groups) {
  /** @type {Record<string, number | undefined>} */
  const peakBytes = Object.fromEntries(Object.keys(groups).map((name) => [name, undefined]));
  const cpuAtStart = Object.fromEntries(
    Object.entries(groups).map(([name, pids]) => [name, groupCpu(pids)]),
  );
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
      const cpuMs = Object.fromEntries(
        Object.entries(groups).map(([name, pids]) => {
          const start = cpuAtStart[name];
          const end = groupCpu(pids);
          return [name, start === undefined || end === undefined ? undefined : end - start];
        }),
      );
      return { peakTotalBytes, peakBytes, cpuMs };
    },
  };
}

import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ: the unit of /proc's utime and stime on every architecture Node ships for. */
const TICKS_PER_SECOND = 100;

/**
 * CPU milliseconds (user + system) of every thread of a process so far, keyed by thread id,
 * with the thread's name (`comm`: node names its threads, e.g. `node` for the main thread and
 * the worker threads, `libuv-worker`, `V8Worker`; onnxruntime's pool threads inherit the name
 * of the thread that created them). Empty where there is no /proc.
 * @param {number} pid
 * @returns {Map<number, { name: string, cpuMs: number }>}
 */
export function threadCpu(pid) {
  /** @type {Map<number, { name: string, cpuMs: number }>} */
  const threads = new Map();
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
      threads.set(Number(tid), { name, cpuMs });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/**
 * CPU each thread used between two `threadCpu` snapshots, busiest first; threads that used
 * none are left out.
 * @param {Map<number, { name: string, cpuMs: number }>} before
 * @param {Map<number, { name: string, cpuMs: number }>} after
 * @param {number} mainTid The process id: its thread is the main thread.
 */
export function threadCpuDelta(before, after, mainTid) {
  const rows = [];
  for (const [tid, { name, cpuMs }] of after) {
    const used = cpuMs - (before.get(tid)?.cpuMs ?? 0);
    if (used > 0) rows.push({ tid, name: tid === mainTid ? `${name} (main)` : name, cpuMs: used });
  }
  return rows.sort((a, b) => b.cpuMs - a.cpuMs);
}

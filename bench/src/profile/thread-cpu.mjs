import { readdirSync, readFileSync } from "node:fs";

/** @typedef {{ name: string, cpuMs: number, runs: number }} ThreadCpu */

/** USER_HZ: the unit of /proc's utime and stime on every architecture Node ships for. */
const TICKS_PER_SECOND = 100;

/**
 * CPU milliseconds (user + system) of every thread of a process so far, keyed by thread id,
 * with the thread's name (`comm`: node names its threads, e.g. `node` for the main thread and
 * the worker threads, `libuv-worker`, `V8Worker`; onnxruntime's pool threads inherit the name
 * of the thread that created them), and how many times it was put on a CPU (`schedstat`'s run
 * count): a thread that sleeps between calls pays a wake-up each time, which in a VM costs
 * more than the work of a small call. Empty where there is no /proc.
 * @param {number} pid
 * @returns {Map<number, ThreadCpu>}
 */
export function threadCpu(pid) {
  /** @type {Map<number, ThreadCpu>} */
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
      const runs = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[2]);
      threads.set(Number(tid), { name, cpuMs, runs: Number.isFinite(runs) ? runs : 0 });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/**
 * CPU each thread used between two `threadCpu` snapshots, busiest first; threads that used
 * none are left out.
 * @param {Map<number, ThreadCpu>} before
 * @param {Map<number, ThreadCpu>} after
 * @param {number} mainTid The process id: its thread is the main thread.
 */
export function threadCpuDelta(before, after, mainTid) {
  const rows = [];
  for (const [tid, { name, cpuMs, runs }] of after) {
    const used = cpuMs - (before.get(tid)?.cpuMs ?? 0);
    if (used > 0) {
      rows.push({
        tid,
        name: tid === mainTid ? `${name} (main)` : name,
        cpuMs: used,
        runs: runs - (before.get(tid)?.runs ?? 0),
      });
    }
  }
  return rows.sort((a, b) => b.cpuMs - a.cpuMs);
}

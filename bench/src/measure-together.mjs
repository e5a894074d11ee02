import { sampleProcesses } from "./process-sampler.mjs";

/**
 * Warm-up before each measured phase, for the JIT, connections and onnxruntime's first-run
 * allocations. The RPC path's CPU cost per call still halves over the first seconds of a fresh
 * process (measured: ~1.3 ms → ~0.5 ms per unary call over 5 s), and a sidecar and its workers
 * are long-lived, so the warm-up is half the phase, up to 2 s.
 * @param {number} durationMs The measured phase.
 */
export function warmupMs(durationMs) {
  return Math.min(2000, durationMs / 2);
}

/**
 * Starts the measured phase of every process at once (they must be ready) and samples the
 * resident memory and CPU time of `groups` while it runs.
 * @template R
 * @param {readonly import("./measured-process.mjs").MeasuredProcess<R>[]} processes
 * @param {number} durationMs
 * @param {Record<string, readonly number[]>} groups Process ids by group name.
 */
export async function measureTogether(processes, durationMs, groups) {
  const sampler = sampleProcesses(groups);
  try {
    const results = await Promise.all(processes.map((process) => process.measure(durationMs)));
    return { results, sample: sampler.stop() };
  } catch (error) {
    sampler.stop();
    throw error;
  }
}

/**
 * CPU microseconds per row: what a row costs a group of processes, whoever else uses the CPUs.
 * @param {number | undefined} cpuMs
 * @param {number} rows
 */
export function cpuMicrosPerRow(cpuMs, rows) {
  return cpuMs === undefined || rows === 0 ? undefined : (cpuMs * 1000) / rows;
}

/**
 * Forks `count` processes, runs `use` once they are all ready, and ends them whatever happens.
 * @template R, T
 * @param {number} count
 * @param {(index: number) => import("./measured-process.mjs").MeasuredProcess<R>} forkOne
 * @param {(processes: import("./measured-process.mjs").MeasuredProcess<R>[]) => Promise<T>} use
 * @returns {Promise<T>}
 */
export async function withReadyProcesses(count, forkOne, use) {
  const processes = Array.from({ length: count }, (_, index) => forkOne(index));
  try {
    await Promise.all(processes.map((process) => process.ready));
    return await use(processes);
  } finally {
    await Promise.all(processes.map((process) => process.close()));
  }
}

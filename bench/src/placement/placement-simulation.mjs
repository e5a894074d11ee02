// One strategy of the placement benchmark, in its own process (run with --expose-gc so that
// memory is measured after collection): W simulated workers × 8 GPUs, R requests of a quarter
// GPU each, then 10 % of the sidecars lost. Prints one JSON object on stdout.
import { parseArgs } from "node:util";
import { createResourceProfile } from "@gpu-sidecar/resource-profile";
import { createPlacementEngine } from "@gpu-sidecar/scheduler-affinity";
import { latencyPercentiles } from "../statistics.mjs";

const { values } = parseArgs({
  options: {
    strategy: { type: "string" },
    workers: { type: "string" },
    requests: { type: "string" },
  },
});
const strategy = /** @type {import("@gpu-sidecar/scheduler-affinity").PlacementStrategy} */ (
  values.strategy
);
const workerCount = Number(values.workers);
const requestCount = Number(values.requests);
const GPUS = 8;
const SHARE = "0.25";
const GRACE_MS = 1000;

const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
const heapUsed = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

let clock = 0;
const heapBefore = heapUsed();
const engine = createPlacementEngine({
  strategy,
  seed: 42,
  lossGraceMs: GRACE_MS,
  now: () => clock,
});
const total = createResourceProfile({
  cpuCores: 64,
  taskHeapMemory: "256 gb",
  extendedResources: { gpu: GPUS },
});
for (let w = 0; w < workerCount; w++) {
  const id = `w${w}`;
  engine.registerWorker({
    id,
    total,
    slots: GPUS,
    gpus: Array.from({ length: GPUS }, (_, index) => ({
      index,
      uuid: `GPU-${id}-${index}`,
      memoryTotalBytes: 80 * 2 ** 30,
    })),
    sidecar: `unix:///run/gpu-sidecar/${id}.sock`,
  });
  // Queue depths for least-queue: a deterministic spread of 0..15.
  engine.reportSidecar(id, {
    status: "serving",
    models: { fraud: true },
    queueDepth: (w * 7) % 16,
  });
}
const request = createResourceProfile({
  cpuCores: 1,
  taskHeapMemory: "2 gb",
  extendedResources: { gpu: SHARE },
});

// Wall time, and the process's CPU time, which a machine shared with other work does not
// inflate by descheduling us mid-decision (every thread counts, the collector's too).
const decisionsUs = new Float64Array(requestCount);
const decisionsCpuUs = new Float64Array(requestCount);
let pending = 0;
for (let r = 0; r < requestCount; r++) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = engine.allocate({ id: `r${r}`, profile: request, models: ["fraud"] });
  decisionsUs[r] = (performance.now() - started) * 1000;
  const spent = process.cpuUsage(cpu);
  decisionsCpuUs[r] = spent.user + spent.system;
  if (!result.placed) pending++;
}
const heapAfter = heapUsed();

// GPU utilization spread: used share of every GPU of every worker.
const used = engine.workers().flatMap((view) => view.gpuFree.map((gpu) => 1 - Number(gpu.free)));
const mean = used.reduce((sum, u) => sum + u, 0) / used.length;
const max = Math.max(...used);
const min = Math.min(...used);
const std = Math.sqrt(used.reduce((sum, u) => sum + (u - mean) ** 2, 0) / used.length);

// Lose every tenth worker's sidecar; after the grace, one tick revokes and re-places.
const lostWorkers = [];
for (let w = 0; w < workerCount; w += 10) lostWorkers.push(`w${w}`);
const views = new Map(engine.workers().map((view) => [view.id, view]));
const affected = lostWorkers.reduce((sum, id) => sum + (views.get(id)?.allocations.length ?? 0), 0);
for (const id of lostWorkers) engine.reportSidecar(id, { status: "unreachable" });
clock += GRACE_MS;
const replaceCpu = process.cpuUsage();
const replaceStarted = performance.now();
engine.tick();
const replaceMs = performance.now() - replaceStarted;
const replaceCpuSpent = process.cpuUsage(replaceCpu);
const lostIds = new Set(lostWorkers);
const onDead = engine.allocations().filter((allocation) => lostIds.has(allocation.workerId)).length;

// The nearest-rank percentiles of the bench's latencies, here in microseconds.
const { p50Ms: p50, p99Ms: p99 } = latencyPercentiles(decisionsUs);
const { p50Ms: cpuP50, p99Ms: cpuP99 } = latencyPercentiles(decisionsCpuUs);
process.stdout.write(
  `${JSON.stringify({
    strategy,
    workers: workerCount,
    gpus: workerCount * GPUS,
    requests: requestCount,
    share: Number(SHARE),
    placed: requestCount - pending,
    pending,
    decisionUs: {
      p50,
      p99,
      mean: decisionsUs.reduce((sum, us) => sum + us, 0) / requestCount,
      max: Math.max(...decisionsUs),
    },
    decisionCpuUs: {
      p50: cpuP50,
      p99: cpuP99,
      mean: decisionsCpuUs.reduce((sum, us) => sum + us, 0) / requestCount,
    },
    gpuUsed: { mean, min, max, std, maxAboveMeanInShares: (max - mean) / Number(SHARE) },
    loss: {
      workersLost: lostWorkers.length,
      allocationsAffected: affected,
      replaceMs,
      replaceCpuMs: (replaceCpuSpent.user + replaceCpuSpent.system) / 1000,
      stillPending: engine.pending().length,
      allocationsOnDeadSidecars: onDead,
    },
    heapBytes: heapAfter - heapBefore,
  })}\n`,
);

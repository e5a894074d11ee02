#!/usr/bin/env node
// Placement on one host. Two GPUs (discovered through a FAKE nvidia-smi on a machine without
// any), one real gpu-sidecar process per GPU, and pipeline tasks that each need a share of a
// GPU and the fraud model READY. The placement engine puts each task on a GPU whose sidecar is
// live; every task streams records through asyncInference to the sidecar of its placement.
// Mid-run one sidecar is killed with SIGKILL: the engine sees it lost, re-places its tasks on
// the surviving GPU, their retries follow, and the summary checks that no record was lost.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  asyncInference,
  createSidecarClient,
  ErrorCode,
  SidecarError,
} from "@gpu-sidecar/async-inference";
import { createResourceProfile, discoverGpus } from "@gpu-sidecar/resource-profile";
import { createPlacementEngine, createSidecarLiveView } from "@gpu-sidecar/scheduler-affinity";
import { decodeTensorValues, encodeTensor } from "@gpu-sidecar/sidecar-core";
import { FRAUD_FEATURE_COUNT, syntheticTransaction } from "@gpu-sidecar/sidecar-server/demo-model";
import { spawnSidecar } from "@gpu-sidecar/sidecar-server/testing";

const USAGE = `usage: node main.mjs [--seconds 8] [--kill-after 3] [--tasks 4] [--share 0.25]
                    [--rate 200] [--grace-ms 1000] [--real-nvidia-smi]`;

function options() {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "8" },
      "kill-after": { type: "string", default: "3" },
      tasks: { type: "string", default: "4" },
      share: { type: "string", default: "0.25" },
      rate: { type: "string", default: "200" },
      "grace-ms": { type: "string", default: "1000" },
      "real-nvidia-smi": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name, min) => {
    const value = Number(values[name]);
    if (!(Number.isFinite(value) && value >= min)) {
      console.error(
        `--${name} is ${JSON.stringify(values[name])}, expected a number ≥ ${min}\n${USAGE}`,
      );
      process.exit(2);
    }
    return value;
  };
  return {
    seconds: number("seconds", 1),
    killAfter: number("kill-after", 0.5),
    tasks: Math.floor(number("tasks", 1)),
    share: values.share,
    rate: number("rate", 1),
    graceMs: number("grace-ms", 0),
    realNvidiaSmi: values["real-nvidia-smi"],
  };
}

const opts = options();
const started = performance.now();
const stamp = () => `[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s]`;
const say = (line) => console.log(`${stamp()} ${line}`);

// 1. GPUs: the real nvidia-smi only when asked; otherwise the fake one, said loudly.
const fakeSmi = join(import.meta.dirname, "fake-nvidia-smi.mjs");
const gpus = await discoverGpus(
  opts.realNvidiaSmi ? {} : { command: process.execPath, args: [fakeSmi] },
);
if (!opts.realNvidiaSmi) {
  say(`FAKE nvidia-smi (${fakeSmi}): ${gpus.length} simulated GPUs; this machine has no GPU`);
}
if (gpus.length < 2) throw new Error(`placement needs two GPUs, discovery found ${gpus.length}`);

// 2. One sidecar per GPU, each on its own Unix socket.
const dir = mkdtempSync(join(tmpdir(), "gpu-sidecar-placement-"));
/** Every sidecar started, so that none outlives this process, whatever ends it. */
const spawned = [];
process.once("exit", () => {
  for (const sidecar of spawned) if (sidecar.running) sidecar.kill();
});
const sidecars = await Promise.all(
  gpus.map(async (gpu) => {
    // The bundled fraud model on the socket only, standing for GPU `gpu.index`.
    const sidecar = spawnSidecar({
      uds: join(dir, `gpu${gpu.index}.sock`),
      env: { ...process.env, CUDA_VISIBLE_DEVICES: String(gpu.index) },
      args: [
        "--model-control-mode",
        "explicit",
        "--load-model",
        "fraud",
        "--http-port",
        "false",
        "--grpc-port",
        "false",
      ],
    });
    spawned.push(sidecar);
    const { unixUrl } = await sidecar.serving;
    return { process: sidecar, pid: sidecar.pid, address: unixUrl };
  }),
);
for (const [i, gpu] of gpus.entries()) {
  say(`GPU ${gpu.index} ${gpu.name}: sidecar pid ${sidecars[i].pid} on ${sidecars[i].address}`);
}

// 3. The engine, fed by the live view (the async-inference client's health watch and polls).
const engine = createPlacementEngine({ strategy: "spread", lossGraceMs: opts.graceMs });
const live = createSidecarLiveView({ engine, pollIntervalMs: 200 });
for (const [i, gpu] of gpus.entries()) {
  live.add({
    id: `gpu${gpu.index}`,
    total: createResourceProfile({
      cpuCores: 4,
      taskHeapMemory: "8 gb",
      extendedResources: { gpu: 1 },
    }),
    slots: 4,
    gpus: [gpu],
    sidecar: sidecars[i].address,
  });
}
const describe = (allocation) =>
  `${allocation.workerId} (GPU ${allocation.gpus[0].index}, share ${allocation.gpus[0].share})`;
const events = (async () => {
  for await (const event of engine.events()) {
    if (event.type === "placed")
      say(`placed   ${event.allocation.requestId} on ${describe(event.allocation)}`);
    if (event.type === "lost")
      say(
        `LOST     ${event.workerId}: ${event.reason}; revoked ${event.revoked.join(", ") || "nothing"}`,
      );
    if (event.type === "replaced")
      say(
        `replaced ${event.allocation.requestId}: ${describe(event.previous)} -> ${describe(event.allocation)}`,
      );
    if (event.type === "pending") say(`pending  ${event.requestId}: ${event.reason}`);
  }
})();

// Wait until both sidecars serve (the live view reports a sidecar's models before its status).
while (engine.workers().some((w) => w.status !== "serving")) {
  await new Promise((r) => setTimeout(r, 20));
}

// 4. Tasks, each placed with a GPU share, each streaming records to its placement's sidecar.
const clients = new Map(
  sidecars.map((s) => [
    s.address,
    createSidecarClient({ endpoint: s.address, reconnect: { maxDelayMs: 200 } }),
  ]),
);
const taskNames = Array.from(
  { length: opts.tasks },
  (_, i) => `task-${String.fromCharCode(97 + i)}`,
);
for (const name of taskNames) {
  const result = engine.allocate({
    id: name,
    profile: createResourceProfile({ cpuCores: "0.5", extendedResources: { gpu: opts.share } }),
    models: ["fraud"],
  });
  if (!result.placed) throw new Error(`${name} could not be placed: ${result.reason}`);
}

const deadline = performance.now() + opts.seconds * 1000;
const produced = new Map(taskNames.map((name) => [name, 0]));
const scored = new Map(taskNames.map((name) => [name, new Set()]));
let attempts = 0;

async function* records(task) {
  const interval = 1000 / opts.rate;
  let next = performance.now();
  for (let seq = 0; performance.now() < deadline; seq++) {
    produced.set(task, seq + 1);
    yield { task, id: `${task}:${seq}`, features: syntheticTransaction(seq) };
    next += interval;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

async function runTask(task) {
  const results = asyncInference(records(task), {
    // Always the sidecar of the task's current placement: after a re-placement, the retry
    // of a call that failed on the dead sidecar goes to the new one.
    infer: (inputs, context) => {
      attempts++;
      const allocation = engine.allocation(task);
      if (allocation === undefined) {
        throw new SidecarError(ErrorCode.Unavailable, `${task} is waiting for a placement`);
      }
      return clients.get(allocation.sidecar).infer("fraud", inputs, context);
    },
    encode: (record) => [
      encodeTensor({
        name: "features",
        datatype: "FP32",
        shape: [1, FRAUD_FEATURE_COUNT],
        values: record.features,
      }),
    ],
    decode: (outputs, record) => ({ id: record.id, score: decodeTensorValues(outputs[0])[0] }),
    capacity: 32,
    ordered: false,
    timeoutMs: 30_000,
    retry: {
      strategy: "exponential",
      initialDelayMs: 20,
      maxDelayMs: 250,
      jitter: 0.2,
      maxAttempts: 200,
    },
  });
  for await (const result of results) scored.get(task).add(result.id);
}

const progress = setInterval(() => {
  const counts = taskNames.map((t) => `${t} ${scored.get(t).size}`).join(" · ");
  say(`scored: ${counts}`);
}, 1000);
const killer = setTimeout(async () => {
  const victim = sidecars[1];
  say(`SIGKILL the sidecar of GPU ${gpus[1].index} (pid ${victim.pid}) mid-run`);
  victim.process.kill();
  await victim.process.exited;
}, opts.killAfter * 1000);

await Promise.all(taskNames.map(runTask));
clearInterval(progress);
clearTimeout(killer);

// 5. The summary: every record produced was scored, whatever was re-sent.
let producedTotal = 0;
let scoredTotal = 0;
for (const task of taskNames) {
  producedTotal += produced.get(task);
  scoredTotal += scored.get(task).size;
}
const lost = producedTotal - scoredTotal;
const retried = attempts - producedTotal;
for (const worker of engine.workers()) {
  const state = worker.blocked ? "LOST" : worker.status;
  const shares = worker.allocations
    .map((id) => `${id} ${engine.allocation(id).gpus[0].share}`)
    .join(", ");
  say(
    `GPU ${worker.gpuFree[0].index} (${worker.id}, sidecar ${state}): free ${worker.gpuFree[0].free}${shares ? `; holds ${shares}` : ""}`,
  );
}
say(
  `summary: ${taskNames.length} tasks · ${producedTotal} records produced · ${scoredTotal} scored · ${lost} lost · ${retried} calls retried after the kill (the sink counts each record id once)`,
);

await live.close();
engine.close();
await events;
await Promise.all([...clients.values()].map((client) => client.close()));
const exits = await Promise.all(sidecars.map((sidecar) => sidecar.process.stop()));
say(`sidecars stopped: ${exits.map((exit) => exit.signal ?? `exit ${exit.code}`).join(", ")}`);
rmSync(dir, { recursive: true, force: true });
if (lost !== 0) {
  console.error(`${lost} records were lost`);
  process.exitCode = 1;
}

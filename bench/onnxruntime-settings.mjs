// Measures what onnxruntime's thread spinning and intra-op thread count do to the sidecar: its
// CPU time per request and the rows/s it serves, for the small and the large bench model. Every
// setting runs as its own sidecar process; all of them start first and then take turns under the
// same closed-loop load, round after round, so that a noisy shared machine spreads its noise over
// every contender alike. Prints a Markdown table with ratios to onnxruntime's defaults.
//
//   node onnxruntime-settings.mjs [--rounds 3] [--window-ms 3000] [--concurrency 8]
//                                 [--models small,large] [--quick]
import { copyFileSync, linkSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createSidecarClient } from "@gpu-sidecar/async-inference";
import { encodeTensor } from "@gpu-sidecar/sidecar-core";
import { FRAUD_FEATURE_COUNT } from "@gpu-sidecar/sidecar-server/demo-model";
import { CACHE_DIR, prepareBenchModel } from "./src/bench-models.mjs";
import { cpuMilliseconds } from "./src/process-sampler.mjs";
import { startSidecarProcess } from "./src/sidecar-process.mjs";
import { poolRow, transactionPool } from "./src/transaction-pool.mjs";

const { values: flags } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    "window-ms": { type: "string", default: "3000" },
    concurrency: { type: "string", default: "8" },
    models: { type: "string", default: "small,large" },
    quick: { type: "boolean", default: false },
  },
});
const rounds = Number(flags.rounds);
const windowMs = Number(flags["window-ms"]);
const concurrency = Number(flags.concurrency);
const modelIds = flags.models.split(",").map((id) => {
  if (id !== "small" && id !== "large") throw new Error(`--models ${flags.models}: small, large`);
  return id;
});

/** The contenders: onnxruntime's defaults first, the baseline of every ratio. */
const SETTINGS = [
  { id: "default", label: "onnxruntime defaults (spinning, one thread per core)", onnxruntime: {} },
  { id: "no-spin", label: "allow_spinning false", onnxruntime: { allow_spinning: false } },
  { id: "1-thread", label: "intra_op_thread_count 1", onnxruntime: { intra_op_thread_count: 1 } },
  {
    id: "1-thread-no-spin",
    label: "intra_op_thread_count 1, allow_spinning false",
    onnxruntime: { intra_op_thread_count: 1, allow_spinning: false },
  },
  {
    id: "2-threads-no-spin",
    label: "intra_op_thread_count 2, allow_spinning false",
    onnxruntime: { intra_op_thread_count: 2, allow_spinning: false },
  },
  {
    id: "2-instances",
    label: "2 instances, each intra_op_thread_count 1, allow_spinning false",
    onnxruntime: { intra_op_thread_count: 1, allow_spinning: false },
    instances: 2,
  },
];

/**
 * A repository per setting holding the model under the same name, its config the bench's with
 * the setting's `onnxruntime` section (any it had replaced).
 * @param {import("./src/bench-models.mjs").BenchModel} model
 * @param {(typeof SETTINGS)[number]} setting
 */
function settingRepository(model, setting) {
  const repository = join(CACHE_DIR, "onnxruntime-settings", `${model.id}-${setting.id}`);
  const version = join(repository, model.modelName, "1");
  rmSync(repository, { recursive: true, force: true });
  mkdirSync(version, { recursive: true });
  const config = {
    ...model.config,
    onnxruntime: setting.onnxruntime,
    ...("instances" in setting
      ? { instance_group: [{ kind: "cpu", count: setting.instances }] }
      : {}),
  };
  writeFileSync(join(repository, model.modelName, "config.json"), JSON.stringify(config, null, 2));
  try {
    linkSync(model.onnxPath, join(version, "model.onnx"));
  } catch {
    copyFileSync(model.onnxPath, join(version, "model.onnx"));
  }
  return repository;
}

/**
 * `concurrency` loops each sending one-row ModelInfer calls back to back for `durationMs`.
 * @param {ReturnType<typeof createSidecarClient>} client
 * @param {import("./src/bench-models.mjs").BenchModel} model
 * @param {number} durationMs
 */
async function load(client, model, durationMs) {
  const pool = transactionPool(1);
  const end = performance.now() + durationMs;
  let requests = 0;
  let index = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const input = encodeTensor({
        name: model.inputName,
        datatype: "FP32",
        shape: [1, FRAUD_FEATURE_COUNT],
        values: poolRow(pool, index++),
      });
      await client.infer(model.modelName, [input]);
      requests++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return requests;
}

/** @param {import("./src/bench-models.mjs").BenchModel} model */
async function measureModel(model) {
  const contenders = [];
  for (const setting of SETTINGS) {
    const sidecar = await startSidecarProcess({
      repository: settingRepository(model, setting),
      modelName: model.modelName,
    });
    const client = createSidecarClient({ endpoint: sidecar.endpoint });
    await client.ready(model.modelName);
    await load(client, model, 500);
    contenders.push({ setting, sidecar, client, requests: 0, rows: 0, cpuMs: 0, elapsedMs: 0 });
  }
  try {
    for (let round = 0; round < rounds; round++) {
      for (const contender of contenders) {
        const { sidecar, client } = contender;
        const before = { cpu: cpuMilliseconds(sidecar.pid) ?? 0, counts: await sidecar.counts() };
        const started = performance.now();
        contender.requests += await load(client, model, windowMs);
        contender.elapsedMs += performance.now() - started;
        contender.cpuMs += (cpuMilliseconds(sidecar.pid) ?? 0) - before.cpu;
        contender.rows += (await sidecar.counts()).rows - before.counts.rows;
      }
    }
  } finally {
    for (const { client, sidecar } of contenders) {
      await client.close();
      await sidecar.stop();
    }
  }
  return contenders.map(({ setting, requests, rows, cpuMs, elapsedMs }) => ({
    setting,
    rowsPerSecond: (rows * 1000) / elapsedMs,
    cpuUsPerRequest: (cpuMs * 1000) / requests,
  }));
}

const lines = [
  `onnxruntime settings, ${availableParallelism()} CPUs, ${rounds} rounds × ${windowMs} ms per setting, ${concurrency} one-row requests in flight`,
  "",
  "| model | setting | rows/s | × default | sidecar CPU µs/request | × default |",
  "| --- | --- | ---: | ---: | ---: | ---: |",
];
for (const id of modelIds) {
  const model = prepareBenchModel(id, flags.quick);
  const results = await measureModel(model);
  const [baseline] = results;
  if (baseline === undefined) throw new Error("no contender ran");
  for (const { setting, rowsPerSecond, cpuUsPerRequest } of results) {
    lines.push(
      `| ${id} | ${setting.label} | ${rowsPerSecond.toFixed(0)} | ${(rowsPerSecond / baseline.rowsPerSecond).toFixed(2)} | ${cpuUsPerRequest.toFixed(0)} | ${(cpuUsPerRequest / baseline.cpuUsPerRequest).toFixed(2)} |`,
    );
  }
}
console.log(lines.join("\n"));

#!/usr/bin/env node
// For a GPU host: starts the sidecar with the bundled fraud model as a two-instance CUDA model
// and prints which device each instance used. With two or more GPUs the instances go one on GPU 0
// and one on GPU 1 (instance_group [{ kind: "gpu", count: 1, gpus: [0, 1] }]); with one GPU both
// go on GPU 0. Needs the CUDA 12 provider libraries (docs/gpu.md) and a build
// (`npx pnpm@12.4.2 build`).
//
// Usage: node scripts/gpu-instances.mjs [requests]   (default 2000 one-row requests, 16 at a time)
//
// It prints the sidecar's placement (instance → CUDA device, nvidia-smi index and uuid, with the
// batches and rows each instance ran, from its metrics) and what nvidia-smi says this process
// holds on each GPU (--query-compute-apps), the driver's own account of the devices used.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { discoverGpus } from "@gpu-sidecar/resource-profile";
import { parseSidecarConfig } from "@gpu-sidecar/sidecar-core";
import { pino } from "pino";
import { createSidecarMetrics, startSidecar } from "../dist/index.js";

const requests = Number(process.argv[2] ?? 2000);
const packageRoot = fileURLToPath(new URL("..", import.meta.url));
let gpus;
try {
  gpus = (await discoverGpus()).length;
} catch (error) {
  console.error(`This script needs a GPU host with nvidia-smi: ${error.message}`);
  process.exit(1);
}
const group =
  gpus >= 2 ? { kind: "gpu", count: 1, gpus: [0, 1] } : { kind: "gpu", count: 2, gpus: [0] };

const repository = mkdtempSync(join(tmpdir(), "gpu-instances-"));
cpSync(join(packageRoot, "models", "fraud", "1"), join(repository, "fraud", "1"), {
  recursive: true,
});
writeFileSync(
  join(repository, "fraud", "config.json"),
  JSON.stringify({
    backend: "onnx",
    execution_providers: ["cuda"],
    instance_group: [group],
    max_batch_size: 64,
    dynamic_batching: { max_queue_delay_us: 0 },
  }),
);
console.log(`${gpus} GPU(s) visible; instance_group ${JSON.stringify([group])}`);

const logger = pino({ level: "warn" });
const metrics = createSidecarMetrics({
  logger,
  gpuPollIntervalMs: 1000,
  nvidiaSmiPath: "nvidia-smi",
});
const sidecar = await startSidecar(
  parseSidecarConfig({
    model_repository: repository,
    strict_model_load: true,
    server: { http_port: 0, grpc_port: false, metrics_port: 0 },
  }),
  { logger, metrics },
);
try {
  const url = `http://127.0.0.1:${sidecar.addresses.http?.port}/v2/models/fraud/infer`;
  const body = JSON.stringify({
    inputs: [{ name: "features", datatype: "FP32", shape: [1, 16], data: Array(16).fill(0.5) }],
  });
  let sent = 0;
  const worker = async () => {
    while (sent++ < requests) {
      const answer = await fetch(url, { method: "POST", body });
      if (!answer.ok)
        throw new Error(`inference failed: HTTP ${answer.status} ${await answer.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));

  const scrape = await (
    await fetch(`http://127.0.0.1:${sidecar.addresses.metrics?.port}/metrics`)
  ).text();
  console.log("\nPer instance (sidecar metrics):");
  for (const line of scrape.split("\n")) {
    if (/^gpu_sidecar_instance_(batches|rows)_total\{/.test(line)) console.log(`  ${line}`);
  }
  console.log(`\nCompute contexts of this process (pid ${process.pid}) per nvidia-smi:`);
  const apps = execFileSync(
    "nvidia-smi",
    ["--query-compute-apps=pid,gpu_uuid,used_memory", "--format=csv,noheader"],
    { encoding: "utf8" },
  );
  for (const line of apps.split("\n")) {
    if (line.startsWith(`${process.pid},`)) console.log(`  ${line}`);
  }
} finally {
  await sidecar.close();
  await metrics.close();
  rmSync(repository, { recursive: true, force: true });
}

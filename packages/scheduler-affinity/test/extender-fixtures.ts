import { readFileSync } from "node:fs";
import { createPlacementEngine, nodeRegistration, type PlacementEngine } from "../src/index.js";

/** An ExtenderArgs body exactly as kube-scheduler sends it (test/fixtures/extender). */
export function fixture(name: string): string {
  return readFileSync(new URL(`fixtures/extender/${name}`, import.meta.url), "utf8");
}

/**
 * The simulated cluster of the fixtures: gpu-node-a (2 GPUs, fraud READY), gpu-node-b (1 GPU,
 * its sidecar serves only ranker READY and fraud loading), gpu-node-c (sidecar unreachable);
 * cpu-node-1 has no sidecar. The reports are what the live view would tell the engine.
 */
export function simulatedCluster(
  strategy: "pack" | "spread" | "least-queue" = "spread",
): PlacementEngine {
  const engine = createPlacementEngine({ strategy, lossGraceMs: 60_000 });
  const nodes = [
    { name: "gpu-node-a", sidecar: "http://10.0.0.11:8001", gpus: 2 },
    { name: "gpu-node-b", sidecar: "http://10.0.0.12:8001", gpus: 1 },
    { name: "gpu-node-c", sidecar: "http://10.0.0.13:8001", gpus: 1 },
  ];
  for (const node of nodes) engine.registerWorker(nodeRegistration(node));
  engine.reportSidecar("gpu-node-a", { status: "serving", models: { fraud: true } });
  engine.reportSidecar("gpu-node-b", { status: "serving", models: { fraud: false, ranker: true } });
  engine.reportSidecar("gpu-node-c", { status: "unreachable", models: { fraud: true } });
  return engine;
}

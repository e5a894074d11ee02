import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { spawnSidecar, stopAllSidecars } from "@gpu-sidecar/sidecar-server/testing";
import { afterAll, describe, expect, it, vi } from "vitest";

// The gpu-sidecar-scheduler extender process against a real sidecar: its live view comes from
// the client's health watch and the sidecar's statistics.
const schedulerPackage = dirname(
  createRequire(import.meta.url).resolve("@gpu-sidecar/scheduler-affinity/package.json"),
);

/** A pod asking for half a GPU and the fraud model, as kube-scheduler sends it. */
const FILTER_ARGS = {
  Pod: {
    metadata: {
      name: "fraud-scorer-7d9f8c6b5-x2kqp",
      namespace: "pipelines",
      annotations: { "gpu-sidecar.io/models": "fraud", "gpu-sidecar.io/gpu-share": "0.5" },
    },
    spec: { containers: [{ name: "worker", image: "fraud-scorer:1.0" }] },
  },
  Nodes: null,
  NodeNames: ["gpu-node-a", "gpu-node-b"],
};

async function post(base: string, path: string, body: string) {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function unusedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

// Two processes start before the first request: seconds on a loaded machine.
describe("gpu-sidecar-scheduler serve, against a real sidecar", { timeout: 30_000 }, () => {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await stopAllSidecars();
  });

  it("filters on what the sidecars' health watch and readiness say", async () => {
    const { grpcUrl } = await spawnSidecar({ uds: false }).serving;
    const dir = mkdtempSync(join(tmpdir(), "gpu-sidecar-scheduler-"));
    const config = join(dir, "extender.yaml");
    writeFileSync(
      config,
      [
        "strategy: spread",
        "lossGraceMs: 60000",
        "pollIntervalMs: 200",
        "nodes:",
        `  - { name: gpu-node-a, sidecar: "${grpcUrl}", gpus: 2 }`,
        `  - { name: gpu-node-b, sidecar: "http://127.0.0.1:${await unusedPort()}", gpus: 1 }`,
      ].join("\n"),
    );
    const bin = join(schedulerPackage, "dist", "cli.js");
    const extender = spawn(process.execPath, [bin, "serve", "--config", config, "--port", "0"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(extender);
    const port = await new Promise<number>((resolve) =>
      createInterface({ input: extender.stdout }).on("line", (line) => {
        const record = JSON.parse(line) as { msg: string; port: number };
        if (record.msg === "listening") resolve(record.port);
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    await vi.waitUntil(
      async () => {
        const health = (await (await fetch(`${base}/healthz`)).json()) as { liveSidecars: number };
        return health.liveSidecars === 1;
      },
      { timeout: 10_000, interval: 50 },
    );
    // The model list comes from the sidecar's statistics, polled after it turned serving.
    let filter: Awaited<ReturnType<typeof post>>;
    do {
      filter = await post(base, "/filter", JSON.stringify(FILTER_ARGS));
    } while ((filter.json.NodeNames as string[]).length === 0);
    expect(filter.json).toMatchObject({
      NodeNames: ["gpu-node-a"],
      FailedAndUnresolvableNodes: {
        "gpu-node-b": expect.stringMatching(
          /^node gpu-node-b: sidecar http:\/\/127\.0\.0\.1:\d+ is unreachable$/,
        ),
      },
      Error: "",
    });
    extender.kill("SIGTERM");
    expect(await new Promise((resolve) => extender.once("exit", resolve))).toBe(0);
  });
});

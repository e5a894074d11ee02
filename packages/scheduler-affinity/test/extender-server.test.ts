import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { spawnSidecar, stopAllSidecars } from "@gpu-sidecar/sidecar-server/testing";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createExtenderServer, createSchedulerExtender } from "../src/index.js";
import { fixture, simulatedCluster } from "./extender-fixtures.js";

async function post(base: string, path: string, body: string) {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe("the extender over HTTP", () => {
  const engine = simulatedCluster();
  const server = createExtenderServer({
    extender: createSchedulerExtender({ engine }),
    engine,
    pathPrefix: "/gpu-sidecar",
    maxBodyBytes: 64 * 1024,
  });
  const listening = new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("POST /filter and /prioritize answer kube-scheduler's JSON", async () => {
    const base = await listening;
    const filter = await post(base, "/gpu-sidecar/filter", fixture("filter-args-node-names.json"));
    expect(filter.status).toBe(200);
    expect(filter.json).toMatchObject({ Nodes: null, NodeNames: ["gpu-node-a"], Error: "" });
    const prioritize = await post(
      base,
      "/gpu-sidecar/prioritize",
      fixture("filter-args-node-list.json"),
    );
    expect(prioritize.status).toBe(200);
    expect(prioritize.json).toEqual([
      { Host: "gpu-node-a", Score: 10 },
      { Host: "gpu-node-b", Score: 0 },
      { Host: "gpu-node-c", Score: 0 },
      { Host: "cpu-node-1", Score: 0 },
    ]);
  });

  it("bad input gets an Error field and the server keeps serving", async () => {
    const base = await listening;
    const filter = await post(base, "/gpu-sidecar/filter", '{"Pod": ');
    expect(filter).toMatchObject({
      status: 200,
      json: { Error: expect.stringMatching(/not JSON/) },
    });
    const prioritize = await post(base, "/gpu-sidecar/prioritize", "null");
    expect(prioritize).toMatchObject({ status: 400, json: { Error: expect.any(String) } });
    const huge = await post(base, "/gpu-sidecar/filter", " ".repeat(65 * 1024));
    expect(huge).toMatchObject({
      status: 413,
      json: { Error: expect.stringMatching(/larger than 65536 bytes/) },
    });
    const unknown = await post(base, "/gpu-sidecar/bind", "{}");
    expect(unknown.status).toBe(404);
    const health = await fetch(`${base}/gpu-sidecar/healthz`);
    expect(await health.json()).toEqual({ status: "ok", nodes: 3, liveSidecars: 2 });
  });
});

async function unusedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("gpu-sidecar-scheduler serve, against a real sidecar", () => {
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
    const bin = join(import.meta.dirname, "..", "dist", "cli.js");
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
    const args = JSON.parse(fixture("filter-args-node-names.json"));
    args.NodeNames = ["gpu-node-a", "gpu-node-b"];
    // The model list comes from the sidecar's statistics, polled after it turned serving.
    let filter: Awaited<ReturnType<typeof post>>;
    do {
      filter = await post(base, "/filter", JSON.stringify(args));
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

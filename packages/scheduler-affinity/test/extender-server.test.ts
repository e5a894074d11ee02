import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
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

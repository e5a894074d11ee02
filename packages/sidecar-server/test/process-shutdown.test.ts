import { existsSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GRPCInferenceService } from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { pendingRequests, portOfUrl, spawnSidecar, stopAllSidecars } from "./process-harness.js";
import { bytesOf, http, SLOW_REPO, tempDir } from "./server-harness.js";

afterEach(() => stopAllSidecars(1_000));

describe("gpu-sidecar shutdown", () => {
  it("on SIGTERM answers every accepted request, refuses new ones, removes its socket and exits 0", async () => {
    const uds = join(tempDir(), "drain.sock");
    const sidecar = spawnSidecar({
      modelRepository: SLOW_REPO,
      uds,
      args: ["--metrics-port", "0"],
    });
    const { httpUrl, metricsUrl } = await sidecar.serving;
    const port = portOfUrl(httpUrl);
    const client = createClient(
      GRPCInferenceService,
      createGrpcTransport({
        baseUrl: "http://localhost",
        nodeOptions: { createConnection: () => connect(uds) },
      }),
    );
    const request = {
      modelName: "slow",
      inputs: [{ name: "x", datatype: "FP32", shape: [1n, 4n] }],
      rawInputContents: [bytesOf(Float32Array.of(1, 2, 3, 4))],
    };
    // 1 s per batch of up to 8: one batch runs, the rest wait in the queue.
    const accepted = Array.from({ length: 20 }, () => client.modelInfer(request));
    // At least 12 queued behind a full running batch; the rest were sent on the same connection before.
    await vi.waitUntil(async () => (await pendingRequests(metricsUrl)) >= 12, {
      timeout: 10_000,
      interval: 10,
    });
    const stopped = sidecar.stop();
    await sidecar.waitForLog("draining");

    const refused = await http(port, "/v2/models/slow/infer", {
      body: JSON.stringify({
        inputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }],
      }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("1");
    expect((await http(port, "/v2/health/ready")).status).toBe(400);
    const refusedRpc = await client.modelInfer(request).then(
      () => undefined,
      (error: unknown) => ConnectError.from(error),
    );
    expect(refusedRpc?.code).toBe(Code.Unavailable);

    const answers = await Promise.allSettled(accepted);
    expect(answers.filter((answer) => answer.status === "rejected")).toEqual([]);
    expect(await stopped).toEqual({ code: 0, signal: null, forced: false });
    expect(existsSync(uds)).toBe(false);
    expect(sidecar.logs.map((record) => record.msg)).toEqual(
      expect.arrayContaining(["shutting down", "draining", "stopped"]),
    );
  }, 30_000);
});

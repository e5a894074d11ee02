import { existsSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GRPCInferenceService } from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { pendingRequests, portOfUrl, spawnSidecar, stopAllSidecars } from "./process-harness.js";
import { bytesOf, EXECUTORS, http, SLOW_REPO, tempDir, withExecutor } from "./server-harness.js";

afterEach(() => stopAllSidecars(1_000));

describe.each(EXECUTORS)("gpu-sidecar shutdown (%s executor)", (executor) => {
  it("on SIGTERM answers every accepted request, refuses new connections and calls, removes its socket and exits 0", async () => {
    const uds = join(tempDir(), "drain.sock");
    const sidecar = spawnSidecar({
      modelRepository: withExecutor(SLOW_REPO, executor),
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

    // Draining, it takes no new connection: clients go elsewhere at once.
    const refused = await http(port, "/v2/models/slow/infer", {
      body: JSON.stringify({
        inputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }],
      }),
    }).then(
      (answer) => answer.status,
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(["ECONNREFUSED", "ECONNRESET"]).toContain(refused);
    // Once the accepted connection has heard GOAWAY, the next call needs a new one, which finds
    // no socket. A call sent before the GOAWAY arrived is refused on the old connection
    // (REFUSED_STREAM, safe to retry), so call until the client has heard it.
    // (Plain Connect calls both INTERNAL; the project's client, UNAVAILABLE and fails over.)
    const refusals: string[] = [];
    await vi.waitUntil(
      async () => {
        const refusal = await client.modelInfer(request).then(
          () => "answered",
          (error: unknown) => ConnectError.from(error).message,
        );
        refusals.push(refusal);
        return refusal.includes("ENOENT");
      },
      { timeout: 5_000, interval: 10 },
    );
    expect(refusals.filter((refusal) => !refusal.includes("NGHTTP2_REFUSED_STREAM"))).toEqual([
      expect.stringContaining("ENOENT"),
    ]);

    const answers = await Promise.allSettled(accepted);
    expect(answers.filter((answer) => answer.status === "rejected")).toEqual([]);
    expect(await stopped).toEqual({ code: 0, signal: null, forced: false });
    expect(existsSync(uds)).toBe(false);
    expect(sidecar.logs.map((record) => record.msg)).toEqual(
      expect.arrayContaining(["shutting down", "draining", "stopped"]),
    );
  }, 30_000);
});

describe("gpu-sidecar signals", () => {
  it("on SIGHUP re-reads its settings and keeps serving; on SIGUSR2 drains, removes its socket and exits 0", async () => {
    const dir = tempDir();
    const uds = join(dir, "signals.sock");
    const configFile = join(dir, "sidecar.yaml");
    writeFileSync(configFile, "log:\n  level: info\n");
    const sidecar = spawnSidecar({ uds, args: ["--config", configFile] });
    const port = portOfUrl((await sidecar.serving).httpUrl);

    process.kill(sidecar.pid, "SIGHUP");
    const reloaded = await sidecar.waitForLog(
      "reloaded the log level; other settings take effect on restart",
    );
    // spawnSidecar's --log-level flag outranks the file.
    expect(reloaded).toMatchObject({ signal: "SIGHUP", logLevel: "info" });
    // The file is read again: a broken one is reported and the running settings are kept.
    writeFileSync(configFile, "log: [unclosed\n");
    process.kill(sidecar.pid, "SIGHUP");
    const failed = await sidecar.waitForLog("reload failed: keeping the running settings");
    expect(failed).toMatchObject({ signal: "SIGHUP" });
    expect(String(failed["reason"])).toContain(configFile);
    expect(sidecar.running).toBe(true);
    expect((await http(port, "/v2/health/ready")).status).toBe(200);
    expect(existsSync(uds)).toBe(true);

    process.kill(sidecar.pid, "SIGUSR2");
    expect(await sidecar.exited).toEqual({ code: 0, signal: null, forced: false });
    expect(existsSync(uds)).toBe(false);
    expect(sidecar.logs.map((record) => record.msg)).toEqual(
      expect.arrayContaining(["shutting down", "stopped"]),
    );
  }, 30_000);
});

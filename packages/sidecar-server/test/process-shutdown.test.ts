import { existsSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GRPCInferenceService } from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { inFlightRequests, portOfUrl, spawnSidecar, stopAllSidecars } from "./process-harness.js";
import {
  bytesOf,
  EXECUTORS,
  FIXTURE_REPO,
  http,
  postJson,
  SLOW_REPO,
  tempDir,
  withExecutor,
} from "./server-harness.js";

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
    const sent = Array.from({ length: 20 }, () => client.modelInfer(request));
    // The signal comes once the sidecar holds every one of them, queued or running: at least 12
    // wait behind the running batch for two more batches of 1 s, so the drain begins with work.
    await vi.waitUntil(async () => (await inFlightRequests(metricsUrl)) === sent.length, {
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

    // All 20 accepted are answered, with the model's output: none lost, none failed.
    const answers = await Promise.allSettled(sent);
    expect(answers.filter((answer) => answer.status === "rejected")).toEqual([]);
    expect(
      answers.map((answer) => (answer.status === "fulfilled" ? answer.value.outputs[0]?.name : "")),
    ).toEqual(Array.from(sent, () => "y"));
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
      "reloaded the log level; models reload only with model_control_mode explicit",
    );
    // spawnSidecar's --log-level flag outranks the file.
    expect(reloaded).toMatchObject({ signal: "SIGHUP", logLevel: "info", restartNeeded: [] });
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

  it("on SIGHUP in explicit mode loads the models the config now names and unloads those it no longer does, and says which changed settings need a restart", async () => {
    const dir = tempDir();
    const configFile = join(dir, "sidecar.yaml");
    const configure = (models: string[], drainMs = 1_000) =>
      writeFileSync(
        configFile,
        JSON.stringify({
          model_control_mode: "explicit",
          models,
          server: { limits: { drain_timeout_ms: drainMs } },
        }),
      );
    configure(["twin"]);
    const sidecar = spawnSidecar({
      modelRepository: FIXTURE_REPO,
      uds: false,
      args: ["--config", configFile],
    });
    const port = portOfUrl((await sidecar.serving).httpUrl);
    const ready = async (model: string) => (await http(port, `/v2/models/${model}/ready`)).status;
    expect([await ready("twin"), await ready("slow")]).toEqual([200, 400]);

    configure(["slow", "missing"], 2_000);
    process.kill(sidecar.pid, "SIGHUP");
    const reloaded = await sidecar.waitForLog(
      "reloaded the log level and the models the config names",
    );
    expect(reloaded).toMatchObject({
      signal: "SIGHUP",
      loaded: ["slow"],
      unloaded: ["twin"],
      failed: [{ model: "missing" }],
      restartNeeded: ["server.limits.drain_timeout_ms"],
    });
    expect(await sidecar.waitForLog("changed settings take effect on restart")).toMatchObject({
      settings: ["server.limits.drain_timeout_ms"],
    });
    // The same path as the repository API's load and unload: the index says so too.
    expect([await ready("twin"), await ready("slow")]).toEqual([400, 200]);
    const index = (await postJson(port, "/v2/repository/index", {})).json() as {
      name: string;
      state: string;
    }[];
    expect(index.filter((entry) => entry.state === "READY").map((entry) => entry.name)).toEqual([
      "slow",
    ]);
    expect(sidecar.running).toBe(true);
  }, 30_000);
});

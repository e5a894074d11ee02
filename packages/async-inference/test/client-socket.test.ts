import type { ChildProcess } from "node:child_process";
import { connect as connectSocket, type Socket } from "node:net";
import { decodeTensorValues, ErrorCode, type Tensor } from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it } from "vitest";
import type { ClientProtocol } from "../src/client/endpoint-transport.js";
import type { SidecarClient } from "../src/client/sidecar-client.js";
import type { SidecarClientOptions } from "../src/client/sidecar-client-options.js";
import { fp32, MODEL, until } from "./client-fake-sidecar.js";
import {
  fixtureClient,
  fixtureSocketPath,
  startFixtureServer,
  stopFixtures,
} from "./client-fixture-process.js";

// A real HTTP/2 server in a child process: the built-in transports over a Unix socket and
// TCP, against connections that really break when the process is SIGKILLed.
afterEach(stopFixtures);

interface Server {
  readonly url: string;
  readonly child: ChildProcess;
  /** ModelInfer calls received so far. */
  received(): number;
}

/** Starts the fixture server; resolves once it listens. */
async function startServer(where: string, delayMs = 0): Promise<Server> {
  const server = await startFixtureServer([where, String(delayMs)]);
  return { url: server.url, child: server.child, received: () => server.count("infer") };
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

function connect(
  endpoints: string[],
  protocol: ClientProtocol = "grpc",
  options: Partial<SidecarClientOptions> = {},
): SidecarClient {
  return fixtureClient({
    endpoints,
    protocol,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    ...options,
  });
}

function firstValue(outputs: Tensor[]): number {
  const [first] = outputs;
  if (first === undefined) throw new Error("no output");
  return decodeTensorValues({ ...first, datatype: "FP32" })[0] ?? Number.NaN;
}

describe("the client over real connections", { timeout: 30_000 }, () => {
  it.each<[string, ClientProtocol]>([
    ["a Unix socket", "grpc"],
    ["a Unix socket", "connect"],
    ["TCP", "grpc"],
    ["TCP", "connect"],
  ])("infers, streams and watches health over %s with %s", async (kind, protocol) => {
    const { url } = await startServer(kind === "TCP" ? "0" : fixtureSocketPath(`${protocol}.sock`));
    const c = connect([url], protocol);
    expect(firstValue(await c.infer(MODEL, [fp32("x", [1, 1], [3])]))).toBe(3);
    expect(await c.live()).toBe(true);
    await until(() => c.endpoints[0]?.status === "serving");
    const session = c.createStreamSession(MODEL);
    const values = await Promise.all([4, 5, 6].map((v) => session.infer([fp32("x", [1, 1], [v])])));
    expect(values.map(firstValue)).toEqual([4, 5, 6]);
  });

  it("reports a missing socket and a refused port as UNAVAILABLE", async () => {
    const c = connect([`unix://${fixtureSocketPath("nobody.sock")}`]);
    await expect(c.infer(MODEL, [fp32("x", [1, 1], [0])])).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    });
    await c.close();
    const tcp = connect(["http://127.0.0.1:1"]);
    await expect(tcp.live()).rejects.toMatchObject({ code: ErrorCode.Unavailable });
  });

  it("fails over to the remote sidecar when the local one is SIGKILLed mid-use, in-flight calls included", async () => {
    // The local sidecar never answers: its calls are surely in flight when it dies.
    const local = await startServer(fixtureSocketPath("local.sock"), 60_000);
    const remote = await startServer("0");
    const c = connect([remote.url, local.url]);
    await until(() => c.endpoints.every((e) => e.live));
    const inFlight = [1, 2, 3].map((v) => c.infer(MODEL, [fp32("x", [1, 1], [v])]));
    await until(() => local.received() === 3);
    await kill(local.child);
    const after = [4, 5, 6].map((v) => c.infer(MODEL, [fp32("x", [1, 1], [v])]));
    expect((await Promise.all([...inFlight, ...after])).map(firstValue)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    await until(() => c.endpoints[1]?.status === "unreachable");
    expect(c.endpoints[0]?.live).toBe(true);
  });

  it("reconnects to a sidecar restarted on the same socket path and routes to it again", async () => {
    const path = fixtureSocketPath("restart.sock");
    const first = await startServer(path);
    const c = connect([first.url]);
    await until(() => c.endpoints[0]?.status === "serving");
    await kill(first.child);
    await until(() => c.endpoints[0]?.status === "unreachable");
    await expect(c.infer(MODEL, [fp32("x", [1, 1], [1])])).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    });
    await startServer(path);
    await until(() => c.endpoints[0]?.status === "serving", 5_000);
    expect(firstValue(await c.infer(MODEL, [fp32("x", [1, 1], [2])]))).toBe(2);
    const session = c.createStreamSession(MODEL);
    expect(firstValue(await session.infer([fp32("x", [1, 1], [3])]))).toBe(3);
  });

  it("fails a stream's pending requests when its sidecar dies, then streams on the other one", async () => {
    const local = await startServer(fixtureSocketPath("stream-local.sock"), 100);
    const remote = await startServer("0");
    const c = connect([local.url, remote.url]);
    await until(() => c.endpoints.every((e) => e.live));
    const session = c.createStreamSession(MODEL);
    expect(firstValue(await session.infer([fp32("x", [1, 1], [1])]))).toBe(1);
    const pending = session.infer([fp32("x", [1, 1], [2])]).catch((error: unknown) => error);
    await kill(local.child);
    expect(await pending).toMatchObject({ code: ErrorCode.Unavailable });
    expect(firstValue(await session.infer([fp32("x", [1, 1], [3])]))).toBe(3);
  });

  it("notices a frozen sidecar (SIGSTOP) by its unanswered PING and fails its calls over", async () => {
    const local = await startServer(fixtureSocketPath("frozen.sock"));
    const remote = await startServer("0");
    const c = connect([local.url, remote.url], "grpc", { pingIntervalMs: 100, pingTimeoutMs: 200 });
    await until(() => c.endpoints.every((e) => e.live));
    local.child.kill("SIGSTOP");
    const started = Date.now();
    // Still `serving` as far as the client knows: the call goes local, waits for the PING
    // to go unanswered, then fails over.
    expect(firstValue(await c.infer(MODEL, [fp32("x", [1, 1], [9])]))).toBe(9);
    // A timeout under test: failed over by the unanswered PING, not by some later limit.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(c.endpoints[0]?.status).toBe("unreachable");
  });

  it("fails over when a connection cannot open within connectTimeoutMs (a peer that neither accepts nor refuses)", async () => {
    const frozen = await startServer("0");
    const remote = await startServer("0");
    frozen.child.kill("SIGSTOP");
    // Fill the stopped server's accept queue: further connection attempts get no answer.
    const port = Number(new URL(frozen.url).port);
    const fillers: Socket[] = [];
    for (let i = 0; i < 4; i += 1)
      fillers.push(connectSocket(port, "127.0.0.1").on("error", () => {}));
    try {
      const c = connect([frozen.url, remote.url], "grpc", { connectTimeoutMs: 300 });
      const started = Date.now();
      expect(firstValue(await c.infer(MODEL, [fp32("x", [1, 1], [8])]))).toBe(8);
      // A timeout under test: the failover waited for connectTimeoutMs, and no longer.
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(5_000);
      expect(c.endpoints[0]?.status).toBe("unreachable");
      expect(c.endpoints[0]?.lastError?.message).toContain("ETIMEDOUT");
    } finally {
      for (const socket of fillers) socket.destroy();
    }
  });
});

import { createServer, type Http2Server, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import {
  createHealthService,
  createLifecycle,
  ErrorCode,
  GRPCInferenceService,
  Health,
  LifecycleState,
  SidecarError,
} from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it } from "vitest";
import { createSidecarClient, type SidecarClient } from "../src/client/sidecar-client.js";
import {
  resolveClientOptions,
  type SidecarClientOptions,
} from "../src/client/sidecar-client-options.js";
import { echoResponse, fp32, MODEL, until } from "./client-fake-sidecar.js";
import { rejection } from "./rejection.js";

// A real HTTP/2 server in this process that refuses every RPC but health and readiness without
// an accepted token, as the sidecar's bearer auth does (UNAUTHENTICATED), and records the
// `authorization` header of each RPC, so every path of the client can be checked for it.
interface AuthServer {
  readonly url: string;
  /** `Method authorization` for every RPC received, in order. */
  readonly seen: string[];
  /** The tokens accepted; a test may change them (rotation). */
  accepted: Set<string>;
}

const OPEN = new Set(["Check", "Watch", "ServerLive", "ServerReady"]);
const servers: Http2Server[] = [];
const sessions = new Set<ServerHttp2Session>();
const clients: SidecarClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  // A transport from createTransport stays open after close(): end its connections here.
  for (const session of sessions) session.destroy();
  sessions.clear();
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

async function startServer(options: { withoutWatch?: boolean } = {}): Promise<AuthServer> {
  const lifecycle = createLifecycle({ models: [MODEL] });
  lifecycle.setModelReady(MODEL, true);
  lifecycle.transition(LifecycleState.Serving);
  const state: AuthServer = { url: "", seen: [], accepted: new Set(["s3cret"]) };
  const auth: Interceptor = (next) => async (request) => {
    const header = request.header.get("authorization");
    state.seen.push(`${request.method.name} ${header ?? "none"}`);
    const token = /^Bearer (\S+)$/.exec(header ?? "")?.[1];
    if (!OPEN.has(request.method.name) && (token === undefined || !state.accepted.has(token))) {
      throw new ConnectError("missing or wrong bearer token", Code.Unauthenticated);
    }
    return next(request);
  };
  const handler = connectNodeAdapter({
    interceptors: [auth],
    routes(router) {
      router.service(GRPCInferenceService, {
        serverReady: () => ({ ready: true }),
        modelInfer: (request) => echoResponse(request),
        async *modelStreamInfer(requests) {
          for await (const request of requests) yield { inferResponse: echoResponse(request) };
        },
      });
      if (options.withoutWatch !== true) router.service(Health, createHealthService(lifecycle));
    },
  });
  const server = createServer(handler);
  server.on("session", (session) => {
    sessions.add(session);
    session.on("error", () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
}

function connect(options: SidecarClientOptions): SidecarClient {
  const client = createSidecarClient({ reconnect: { initialDelayMs: 20 }, ...options });
  clients.push(client);
  return client;
}

const x = () => [fp32("x", [1, 1], [1])];

describe("the token option", () => {
  it.each<[string, unknown, string]>([
    ["empty", "", "option token is an empty string"],
    ["with a space", "s3 cret", "option token is a string of 7 characters that is not"],
    ["with its scheme", "Bearer s3cret", "option token is a string of 13 characters that is not"],
    ["non-ASCII", "s3crét", "option token is a string of 6 characters that is not"],
    ["a newline", "s3cret\n", "option token is a string of 7 characters that is not"],
    ["a number", 42, "option token is number"],
  ])("refuses a token %s, naming the option but never showing the token", (_, token, message) => {
    let error: unknown;
    try {
      resolveClientOptions({ endpoint: "unix:///s", token: token as string });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SidecarError);
    expect((error as SidecarError).code).toBe(ErrorCode.InvalidArgument);
    expect((error as SidecarError).message).toContain(message);
    expect((error as SidecarError).message).toContain('without "Bearer "');
    if (typeof token === "string" && token.trim() !== "") {
      expect((error as SidecarError).message).not.toContain(token.trim());
    }
  });

  const paths: [string, Partial<SidecarClientOptions>][] = [
    ["the gRPC hot path", { protocol: "grpc" }],
    ["the Connect protocol", { protocol: "connect" }],
    [
      "a transport from createTransport",
      // The endpoints here are TCP, whose URL is the base URL.
      { createTransport: (address) => createGrpcTransport({ baseUrl: address.url }) },
    ],
  ];

  it.each(paths)(
    "over %s: sent on infer, streams, readiness and the health watch",
    async (_, path) => {
      const server = await startServer();
      const client = connect({ endpoint: server.url, token: "s3cret", ...path });
      expect(await client.infer(MODEL, x())).toHaveLength(1);
      const session = client.createStreamSession(MODEL);
      expect(await session.infer(x())).toHaveLength(1);
      expect(await client.ready()).toBe(true);
      await until(() => client.endpoints[0]?.status === "serving");
      const methods = new Set(server.seen.map((line) => line.split(" ")[0]));
      expect([...methods].sort()).toEqual([
        "ModelInfer",
        "ModelStreamInfer",
        "ServerReady",
        "Watch",
      ]);
      expect(server.seen.every((line) => line.endsWith(" Bearer s3cret"))).toBe(true);
    },
  );

  it.each(paths)(
    "over %s: without it, FAILED_PRECONDITION (UNAUTHENTICATED), no failover",
    async (_, path) => {
      const first = await startServer();
      const second = await startServer();
      const client = connect({ endpoints: [first.url, second.url], ...path });
      await until(() => client.endpoints.every((endpoint) => endpoint.status === "serving"));
      const unary = await rejection(client.infer(MODEL, x()));
      expect(unary.code).toBe(ErrorCode.FailedPrecondition);
      expect(unary.message).toContain("[Unauthenticated] missing or wrong bearer token");
      const streamed = await rejection(client.createStreamSession(MODEL).infer(x()));
      expect(streamed.code).toBe(ErrorCode.FailedPrecondition);
      // Every inference went to the first endpoint only: a refusal is the answer, not an outage.
      expect(second.seen.filter((line) => line.startsWith("Model"))).toEqual([]);
      expect(first.seen.filter((line) => line.startsWith("Model"))).toEqual([
        "ModelInfer none",
        "ModelStreamInfer none",
      ]);
    },
  );

  it("asks a token function on every call and stream, so a rotated token is used at once", async () => {
    const server = await startServer();
    let current = "first";
    server.accepted = new Set(["first"]);
    const client = connect({ endpoint: server.url, token: () => current });
    await client.infer(MODEL, x());
    current = "second";
    server.accepted = new Set(["second"]);
    await client.infer(MODEL, x());
    await client.createStreamSession(MODEL).infer(x());
    const inference = server.seen.filter((line) => line.startsWith("Model"));
    expect(inference).toEqual([
      "ModelInfer Bearer first",
      "ModelInfer Bearer second",
      "ModelStreamInfer Bearer second",
    ]);
  });

  it("waits for an async token function on both protocols", async () => {
    const server = await startServer();
    for (const protocol of ["grpc", "connect"] as const) {
      const client = connect({
        endpoint: server.url,
        protocol,
        token: async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return "s3cret";
        },
      });
      expect(await client.infer(MODEL, x())).toHaveLength(1);
      expect(await client.createStreamSession(MODEL).infer(x())).toHaveLength(1);
    }
    expect(server.seen.filter((line) => line.startsWith("Model"))).toEqual([
      "ModelInfer Bearer s3cret",
      "ModelStreamInfer Bearer s3cret",
      "ModelInfer Bearer s3cret",
      "ModelStreamInfer Bearer s3cret",
    ]);
  });

  it("sends it on the readiness probes of a server without Health.Watch", async () => {
    const server = await startServer({ withoutWatch: true });
    const client = connect({ endpoint: server.url, token: "s3cret", healthPollIntervalMs: 20 });
    const probes = () => server.seen.filter((line) => line.startsWith("ServerReady"));
    await until(() => probes().length >= 2 && client.endpoints[0]?.status === "serving", 10_000);
    expect(probes().every((line) => line === "ServerReady Bearer s3cret")).toBe(true);
  });

  it("fails the call, not the process, when the token function throws or returns no token", async () => {
    const server = await startServer();
    let token: () => string = () => {
      throw new Error("vault unreachable");
    };
    const client = connect({ endpoint: server.url, token: () => token() });
    const thrown = await rejection(client.infer(MODEL, x()));
    expect(thrown.code).toBe(ErrorCode.FailedPrecondition);
    expect(thrown.message).toBe(
      "createSidecarClient: the option token function failed, so no call can authenticate: vault unreachable",
    );
    const streamed = await rejection(client.createStreamSession(MODEL).infer(x()));
    expect(streamed.code).toBe(ErrorCode.FailedPrecondition);
    token = () => "two words";
    const bad = await rejection(client.infer(MODEL, x()));
    expect(bad.code).toBe(ErrorCode.InvalidArgument);
    expect(bad.message).toContain("option token returned a string of 9 characters");
    expect(bad.message).not.toContain("two words");
    expect(server.seen.filter((line) => line.startsWith("Model"))).toEqual([]);
  });
});

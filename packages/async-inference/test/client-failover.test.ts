import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ErrorCode, LifecycleState } from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it } from "vitest";
import type { EndpointState } from "../src/client/endpoint-state.js";
import type { Router } from "../src/client/router.js";
import { createSidecarClient, type SidecarClient } from "../src/client/sidecar-client.js";
import { createFakeSidecar, type FakeSidecar, fp32, MODEL, until } from "./client-fake-sidecar.js";
import { rejection } from "./rejection.js";

const LOCAL = "unix:///run/gpu-sidecar.sock";
const REMOTE = "http://10.0.0.2:8001";
const OTHER = "http://10.0.0.3:8001";

let client: SidecarClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
});

function connect(
  fakes: Record<string, FakeSidecar>,
  extra: { router?: Router } = {},
): SidecarClient {
  client = createSidecarClient({
    endpoints: Object.keys(fakes),
    createTransport: (address) => (fakes[address.url] ?? expect.unreachable()).transport,
    reconnect: { initialDelayMs: 10_000, maxDelayMs: 10_000 },
    ...extra,
  });
  return client;
}

const input = () => [fp32("x", [1, 1], [7])];

function statuses(c: SidecarClient): string[] {
  return c.endpoints.map((e) => e.status);
}

describe("local-first routing and failover", () => {
  it("sends calls to the co-located Unix socket even when it is listed last", async () => {
    const remote = createFakeSidecar();
    const local = createFakeSidecar();
    const c = connect({ [REMOTE]: remote, [LOCAL]: local });
    // Before any health news (every endpoint `connecting`) and after it (all `serving`).
    await c.infer(MODEL, input());
    await until(() => c.endpoints.every((e) => e.live));
    await c.infer(MODEL, input());
    expect(local.inferCalls).toHaveLength(2);
    expect(remote.inferCalls).toHaveLength(0);
  });

  it("fails over to the next endpoint when a call fails with UNAVAILABLE, and marks the failed one down", async () => {
    const local = createFakeSidecar();
    const remote = createFakeSidecar();
    const c = connect({ [LOCAL]: local, [REMOTE]: remote });
    await until(() => c.endpoints.every((e) => e.live));
    local.infer = () => {
      throw new ConnectError("draining", Code.Unavailable);
    };
    const [output] = await c.infer(MODEL, input());
    expect(output?.name).toBe("y0");
    expect(local.inferCalls).toHaveLength(1);
    expect(remote.inferCalls).toHaveLength(1);
    expect(c.endpoints[0]?.status).toBe("unreachable");
    expect(c.endpoints[0]?.lastError?.message).toContain("draining");
    // The next call goes straight to the live endpoint.
    await c.infer(MODEL, input());
    expect(local.inferCalls).toHaveLength(1);
    expect(remote.inferCalls).toHaveLength(2);
  });

  it("fails over when the transport itself fails (connect-node reports a missing socket as INTERNAL)", async () => {
    const noSocket: Interceptor = () => async () => {
      const cause = Object.assign(new Error("connect ENOENT /run/gpu-sidecar.sock"), {
        code: "ENOENT",
      });
      throw new ConnectError(cause.message, Code.Internal, undefined, undefined, cause);
    };
    const local = createFakeSidecar({ clientInterceptors: [noSocket] });
    const remote = createFakeSidecar();
    const c = connect({ [LOCAL]: local, [REMOTE]: remote });
    await c.infer(MODEL, input());
    expect(remote.inferCalls).toHaveLength(1);
    expect(c.endpoints[0]?.lastError?.code).toBe(ErrorCode.Unavailable);
  });

  it.each([
    [Code.InvalidArgument, ErrorCode.InvalidArgument],
    [Code.ResourceExhausted, ErrorCode.ResourceExhausted],
    [Code.DeadlineExceeded, ErrorCode.DeadlineExceeded],
    [Code.NotFound, ErrorCode.NotFound],
    [Code.Internal, ErrorCode.Internal],
  ])("does not fail over on %s: the request reached the server", async (code, expected) => {
    const local = createFakeSidecar();
    const remote = createFakeSidecar();
    const c = connect({ [LOCAL]: local, [REMOTE]: remote });
    local.infer = () => {
      throw new ConnectError("no", code);
    };
    const error = await rejection(c.infer(MODEL, input()));
    expect(error.code).toBe(expected);
    expect(remote.inferCalls).toHaveLength(0);
    expect(c.endpoints[0]?.status).not.toBe("unreachable");
  });

  it("fails with the last UNAVAILABLE once every endpoint was tried, each once", async () => {
    const local = createFakeSidecar();
    const remote = createFakeSidecar();
    const other = createFakeSidecar();
    const c = connect({ [LOCAL]: local, [REMOTE]: remote, [OTHER]: other });
    local.down = true;
    remote.down = true;
    other.down = true;
    const error = await rejection(c.infer(MODEL, input()));
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(error.message).toContain(OTHER);
    expect(statuses(c)).toEqual(["unreachable", "unreachable", "unreachable"]);
  });

  it("routes around an endpoint whose health says NOT_SERVING, local or not", async () => {
    const local = createFakeSidecar();
    const remote = createFakeSidecar();
    const c = connect({ [LOCAL]: local, [REMOTE]: remote });
    await until(() => c.endpoints.every((e) => e.live));
    local.lifecycle.transition(LifecycleState.Draining);
    await until(() => c.endpoints[0]?.status === "not-serving");
    await c.infer(MODEL, input());
    expect(local.inferCalls).toHaveLength(0);
    expect(remote.inferCalls).toHaveLength(1);
  });

  it("keeps the deadline across failover attempts", async () => {
    const local = createFakeSidecar();
    const remote = createFakeSidecar();
    const c = connect({ [LOCAL]: local, [REMOTE]: remote });
    local.infer = async () => {
      // A slow refusal that spends part of the deadline: latency under test, not sequencing.
      await new Promise((resolve) => setTimeout(resolve, 60));
      throw new ConnectError("draining", Code.Unavailable);
    };
    await c.infer(MODEL, input(), { timeoutMs: 1000 });
    const { context } = remote.inferCalls[0] ?? expect.unreachable();
    expect(context.timeoutMs()).toBeLessThanOrEqual(945);
    const timeout = remote.inferCalls[0]?.request.parameters.timeout?.parameterChoice.value;
    expect(Number(timeout)).toBeLessThanOrEqual(945_000);
  });

  it("does not fail over a call the caller cancelled", async () => {
    const local = createFakeSidecar();
    const remote = createFakeSidecar();
    const c = connect({ [LOCAL]: local, [REMOTE]: remote });
    const controller = new AbortController();
    local.infer = () => new Promise(() => {});
    const call = c.infer(MODEL, input(), { signal: controller.signal });
    await until(() => local.inferCalls.length === 1);
    controller.abort();
    expect((await rejection(call)).code).toBe(ErrorCode.Cancelled);
    expect(remote.inferCalls).toHaveLength(0);
    expect(c.endpoints[0]?.status).not.toBe("unreachable");
  });

  it("uses a replacement router, offering only the endpoints not yet tried", async () => {
    const local = createFakeSidecar();
    const remote = createFakeSidecar();
    const offered: string[][] = [];
    const remoteFirst: Router = {
      pick(endpoints, request) {
        expect(request).toEqual({ method: "ModelInfer", model: MODEL });
        offered.push(endpoints.map((e) => e.url));
        return endpoints.find((e) => e.locality === "remote") ?? endpoints[0];
      },
    };
    const c = connect({ [LOCAL]: local, [REMOTE]: remote }, { router: remoteFirst });
    remote.down = true;
    await c.infer(MODEL, input());
    expect(offered).toEqual([[LOCAL, REMOTE], [LOCAL]]);
    expect(local.inferCalls).toHaveLength(1);
  });

  it("fails with UNAVAILABLE when the router picks none, and INTERNAL when it picks a stranger", async () => {
    const local = createFakeSidecar();
    const none: Router = { pick: () => undefined };
    const c1 = connect({ [LOCAL]: local }, { router: none });
    const error = await rejection(c1.infer(MODEL, input()));
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(error.message).toContain("the router picked none");
    await c1.close();
    const stranger: EndpointState = {
      url: "http://stranger:1",
      locality: "remote",
      index: 9,
      status: "serving",
      live: true,
      lastError: undefined,
    };
    const c2 = connect({ [LOCAL]: local }, { router: { pick: () => stranger } });
    const strange = await rejection(c2.infer(MODEL, input()));
    expect(strange.code).toBe(ErrorCode.Internal);
    expect(strange.message).toContain('"http://stranger:1"');
  });

  it("fails over live() and metadata calls too", async () => {
    const local = createFakeSidecar();
    const remote = createFakeSidecar();
    const c = connect({ [LOCAL]: local, [REMOTE]: remote });
    local.down = true;
    expect(await c.live()).toBe(true);
    expect((await c.modelMetadata(MODEL)).name).toBe(MODEL);
  });
});

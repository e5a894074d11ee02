import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  createHealthService,
  createLifecycle,
  Health,
  type Lifecycle,
  LifecycleState,
  HealthCheckResponse_ServingStatus as Status,
} from "../src/rpc/index.js";

function setup(models: string[]) {
  const lifecycle = createLifecycle({ models });
  const transport = createRouterTransport((router) => {
    router.service(Health, createHealthService(lifecycle));
  });
  return { lifecycle, client: createClient(Health, transport) };
}

/** Resolves when the next subscription taken on `lifecycle` is released. */
function nextRelease(lifecycle: Lifecycle): Promise<void> {
  const subscribe = lifecycle.subscribe.bind(lifecycle);
  return new Promise((released) => {
    lifecycle.subscribe = (listener) => {
      lifecycle.subscribe = subscribe;
      const unsubscribe = subscribe(listener);
      return () => {
        unsubscribe();
        released();
      };
    };
  });
}

/** Reads a Watch stream one status at a time; "end" once the server has closed it. */
function statuses(stream: AsyncIterator<{ status: Status }>): () => Promise<Status | "end"> {
  return async () => {
    const next = await stream.next();
    return next.done ? "end" : next.value.status;
  };
}

describe("createHealthService: Check", () => {
  it("answers for the whole server: SERVING only while serving with every model ready", async () => {
    const { lifecycle, client } = setup(["a"]);
    const check = async () => (await client.check({ service: "" })).status;
    expect(await check()).toBe(Status.NOT_SERVING);
    lifecycle.transition(LifecycleState.Serving);
    expect(await check()).toBe(Status.NOT_SERVING);
    lifecycle.setModelReady("a", true);
    expect(await check()).toBe(Status.SERVING);
    lifecycle.transition(LifecycleState.Draining);
    expect(await check()).toBe(Status.NOT_SERVING);
    lifecycle.transition(LifecycleState.Stopped);
    expect(await check()).toBe(Status.NOT_SERVING);
  });

  it("answers for one model with that model's readiness while serving", async () => {
    const { lifecycle, client } = setup(["a", "b"]);
    const check = async (service: string) => (await client.check({ service })).status;
    lifecycle.setModelReady("a", true);
    expect(await check("a")).toBe(Status.NOT_SERVING);
    lifecycle.transition(LifecycleState.Serving);
    expect(await check("a")).toBe(Status.SERVING);
    expect(await check("b")).toBe(Status.NOT_SERVING);
    expect(await check("")).toBe(Status.NOT_SERVING);
  });

  it("fails with NOT_FOUND for an unknown service", async () => {
    const { client } = setup(["a"]);
    const failure = await client.check({ service: "nope" }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectError);
    expect((failure as ConnectError).code).toBe(Code.NotFound);
  });
});

describe("createHealthService: Watch", () => {
  it("streams the overall status at once and on every change, and ends when stopped", async () => {
    const { lifecycle, client } = setup(["a"]);
    const next = statuses(client.watch({ service: "" })[Symbol.asyncIterator]());
    expect(await next()).toBe(Status.NOT_SERVING);
    // Not a change of status (still STARTING): nothing is sent for it.
    lifecycle.setModelReady("a", true);
    lifecycle.transition(LifecycleState.Serving);
    expect(await next()).toBe(Status.SERVING);
    lifecycle.setModelReady("a", false);
    expect(await next()).toBe(Status.NOT_SERVING);
    lifecycle.setModelReady("a", true);
    expect(await next()).toBe(Status.SERVING);
    lifecycle.transition(LifecycleState.Draining);
    expect(await next()).toBe(Status.NOT_SERVING);
    lifecycle.transition(LifecycleState.Stopped);
    expect(await next()).toBe("end");
    expect(lifecycle.listenerCount).toBe(0);
  });

  it("streams one model's readiness flips", async () => {
    const { lifecycle, client } = setup(["a", "b"]);
    lifecycle.transition(LifecycleState.Serving);
    const next = statuses(client.watch({ service: "b" })[Symbol.asyncIterator]());
    expect(await next()).toBe(Status.NOT_SERVING);
    // Another model's change leaves b's status alone: nothing is sent for it.
    lifecycle.setModelReady("a", true);
    lifecycle.setModelReady("b", true);
    expect(await next()).toBe(Status.SERVING);
    lifecycle.setModelReady("b", false);
    expect(await next()).toBe(Status.NOT_SERVING);
    lifecycle.transition(LifecycleState.Stopped);
    expect(await next()).toBe("end");
  });

  it("sends SERVICE_UNKNOWN for an unknown service and keeps watching until it appears", async () => {
    const { lifecycle, client } = setup([]);
    lifecycle.transition(LifecycleState.Serving);
    const next = statuses(client.watch({ service: "late" })[Symbol.asyncIterator]());
    expect(await next()).toBe(Status.SERVICE_UNKNOWN);
    lifecycle.addModel("late");
    expect(await next()).toBe(Status.NOT_SERVING);
    lifecycle.setModelReady("late", true);
    expect(await next()).toBe(Status.SERVING);
    lifecycle.transition(LifecycleState.Stopped);
    expect(await next()).toBe("end");
  });

  it("sends the current status and ends at once when the lifecycle has already stopped", async () => {
    const { lifecycle, client } = setup([]);
    lifecycle.transition(LifecycleState.Stopped);
    const next = statuses(client.watch({ service: "" })[Symbol.asyncIterator]());
    expect(await next()).toBe(Status.NOT_SERVING);
    expect(await next()).toBe("end");
  });

  it("releases its lifecycle listener when the client cancels", async () => {
    const { lifecycle, client } = setup(["a"]);
    const released = nextRelease(lifecycle);
    const abort = new AbortController();
    const stream = client.watch({ service: "" }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.status).toBe(Status.NOT_SERVING);
    expect(lifecycle.listenerCount).toBe(1);
    abort.abort();
    await released;
    expect(lifecycle.listenerCount).toBe(0);
    const failure = await stream.next().catch((error: unknown) => error);
    expect(ConnectError.from(failure).code).toBe(Code.Canceled);
    // Later changes reach no one and break nothing.
    lifecycle.transition(LifecycleState.Serving);
    expect(lifecycle.listenerCount).toBe(0);
  });
});

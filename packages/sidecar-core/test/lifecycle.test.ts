import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { createLifecycle, type LifecycleChange, LifecycleState } from "../src/rpc/index.js";
import { ErrorCode, SidecarError } from "../src/sidecar-error.js";

const states = Object.values(LifecycleState);

function record(lifecycle: ReturnType<typeof createLifecycle>): LifecycleChange[] {
  const changes: LifecycleChange[] = [];
  lifecycle.subscribe((change) => changes.push(change));
  return changes;
}

describe("createLifecycle", () => {
  it("starts live, STARTING and not ready, with its models not ready", () => {
    const lifecycle = createLifecycle({ models: ["a", "b"] });
    expect(lifecycle.state).toBe(LifecycleState.Starting);
    expect(lifecycle.live).toBe(true);
    expect(lifecycle.ready).toBe(false);
    expect(lifecycle.models).toEqual(["a", "b"]);
    expect(lifecycle.isModelReady("a")).toBe(false);
  });

  it("reports every transition of STARTING → SERVING → DRAINING → STOPPED in order", () => {
    const lifecycle = createLifecycle({ models: [] });
    const changes = record(lifecycle);
    lifecycle.transition(LifecycleState.Serving);
    lifecycle.transition(LifecycleState.Draining);
    lifecycle.transition(LifecycleState.Stopped);
    expect(changes).toEqual([
      { type: "state", from: "STARTING", to: "SERVING" },
      { type: "state", from: "SERVING", to: "DRAINING" },
      { type: "state", from: "DRAINING", to: "STOPPED" },
    ]);
    expect(lifecycle.live).toBe(false);
  });

  it("may skip forward, e.g. drain while still starting", () => {
    const lifecycle = createLifecycle({ models: [] });
    lifecycle.transition(LifecycleState.Draining);
    expect(lifecycle.state).toBe(LifecycleState.Draining);
  });

  it("refuses to go back with FAILED_PRECONDITION naming both states, and changes nothing", () => {
    const lifecycle = createLifecycle({ models: [] });
    lifecycle.transition(LifecycleState.Draining);
    const changes = record(lifecycle);
    let thrown: unknown;
    try {
      lifecycle.transition(LifecycleState.Serving);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SidecarError);
    expect((thrown as SidecarError).code).toBe(ErrorCode.FailedPrecondition);
    expect((thrown as SidecarError).message).toContain("DRAINING");
    expect((thrown as SidecarError).message).toContain("SERVING");
    expect(lifecycle.state).toBe(LifecycleState.Draining);
    expect(changes).toEqual([]);
  });

  it("treats a transition to the current state as a silent no-op", () => {
    const lifecycle = createLifecycle({ models: [] });
    lifecycle.transition(LifecycleState.Serving);
    const changes = record(lifecycle);
    lifecycle.transition(LifecycleState.Serving);
    expect(changes).toEqual([]);
  });

  it("moves only forward, and reports exactly the moves it made, for any sequence of requests", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...states), { maxLength: 12 }), (targets) => {
        const lifecycle = createLifecycle({ models: [] });
        const changes = record(lifecycle);
        const made: LifecycleChange[] = [];
        for (const to of targets) {
          const from = lifecycle.state;
          const back = states.indexOf(to) < states.indexOf(from);
          if (back) {
            expect(() => lifecycle.transition(to)).toThrow(SidecarError);
          } else {
            lifecycle.transition(to);
            if (to !== from) made.push({ type: "state", from, to });
          }
        }
        expect(changes).toEqual(made);
      }),
    );
  });

  it("is ready only while SERVING with every configured model ready (strict readiness)", () => {
    const lifecycle = createLifecycle({ models: ["a", "b"] });
    lifecycle.setModelReady("a", true);
    lifecycle.setModelReady("b", true);
    expect(lifecycle.ready).toBe(false);
    lifecycle.transition(LifecycleState.Serving);
    expect(lifecycle.ready).toBe(true);
    lifecycle.setModelReady("b", false);
    expect(lifecycle.ready).toBe(false);
    lifecycle.setModelReady("b", true);
    lifecycle.transition(LifecycleState.Draining);
    expect(lifecycle.ready).toBe(false);
    expect(lifecycle.isModelReady("b")).toBe(true);
  });

  it("is ready once SERVING when no model is configured", () => {
    const lifecycle = createLifecycle({ models: [] });
    lifecycle.transition(LifecycleState.Serving);
    expect(lifecycle.ready).toBe(true);
  });

  it("reports model readiness changes, and only actual changes", () => {
    const lifecycle = createLifecycle({ models: ["a"] });
    const changes = record(lifecycle);
    lifecycle.setModelReady("a", true);
    lifecycle.setModelReady("a", true);
    lifecycle.setModelReady("a", false);
    expect(changes).toEqual([
      { type: "model", model: "a", ready: true },
      { type: "model", model: "a", ready: false },
    ]);
  });

  it("rejects readiness for a model that is not configured with NOT_FOUND", () => {
    const lifecycle = createLifecycle({ models: ["a"] });
    expect(() => lifecycle.setModelReady("nope", true)).toThrow(
      expect.objectContaining({ code: ErrorCode.NotFound }),
    );
    expect(lifecycle.isModelReady("nope")).toBe(false);
  });

  it("adds and removes models at run time, and readiness follows the configured set", () => {
    const lifecycle = createLifecycle({ models: [] });
    lifecycle.transition(LifecycleState.Serving);
    const changes = record(lifecycle);
    lifecycle.addModel("late");
    expect(lifecycle.hasModel("late")).toBe(true);
    expect(lifecycle.ready).toBe(false);
    expect(() => lifecycle.addModel("late")).toThrow(
      expect.objectContaining({ code: ErrorCode.AlreadyExists }),
    );
    lifecycle.removeModel("late");
    expect(lifecycle.ready).toBe(true);
    expect(() => lifecycle.removeModel("late")).toThrow(
      expect.objectContaining({ code: ErrorCode.NotFound }),
    );
    expect(changes).toEqual([
      { type: "model", model: "late", ready: false },
      { type: "model-removed", model: "late" },
    ]);
  });

  it("stops calling a listener once unsubscribed, counting each subscription apart", () => {
    const lifecycle = createLifecycle({ models: [] });
    const listener = vi.fn();
    const first = lifecycle.subscribe(listener);
    const second = lifecycle.subscribe(listener);
    expect(lifecycle.listenerCount).toBe(2);
    first();
    lifecycle.transition(LifecycleState.Serving);
    expect(listener).toHaveBeenCalledTimes(1);
    second();
    lifecycle.transition(LifecycleState.Draining);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(lifecycle.listenerCount).toBe(0);
  });

  it("lets a listener unsubscribe while being called without skipping the others", () => {
    const lifecycle = createLifecycle({ models: [] });
    const later = vi.fn();
    const unsubscribe = lifecycle.subscribe(() => unsubscribe());
    lifecycle.subscribe(later);
    lifecycle.transition(LifecycleState.Serving);
    expect(later).toHaveBeenCalledTimes(1);
    expect(lifecycle.listenerCount).toBe(1);
  });

  it("keeps a throwing listener from silencing the others, and rethrows its error later", () => {
    const lifecycle = createLifecycle({ models: [] });
    const failure = new Error("listener bug");
    const other = vi.fn();
    lifecycle.subscribe(() => {
      throw failure;
    });
    lifecycle.subscribe(other);
    const nextTick = vi.spyOn(process, "nextTick").mockImplementation(() => {});
    let deferred: unknown[];
    try {
      lifecycle.transition(LifecycleState.Serving);
    } finally {
      deferred = nextTick.mock.calls.map(([callback]) => callback);
      nextTick.mockRestore();
    }
    expect(lifecycle.state).toBe(LifecycleState.Serving);
    expect(other).toHaveBeenCalledTimes(1);
    expect(deferred).toHaveLength(1);
    const [report] = deferred;
    expect(report).toBeTypeOf("function");
    expect(() => (report as () => void)()).toThrow(failure);
  });

  it("resolves whenStopped once STOPPED, with the same promise for every caller", async () => {
    const lifecycle = createLifecycle({ models: [] });
    const stopped = lifecycle.whenStopped();
    expect(lifecycle.whenStopped()).toBe(stopped);
    lifecycle.transition(LifecycleState.Draining);
    const before = await Promise.race([stopped.then(() => "stopped"), Promise.resolve("pending")]);
    expect(before).toBe("pending");
    lifecycle.transition(LifecycleState.Stopped);
    await expect(stopped).resolves.toBeUndefined();
    lifecycle.transition(LifecycleState.Stopped);
    expect(lifecycle.whenStopped()).toBe(stopped);
  });
});

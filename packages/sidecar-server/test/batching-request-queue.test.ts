import { ErrorCode } from "@gpu-sidecar/sidecar-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { systemClock } from "../src/batching/clock.js";
import { createRequestQueue, type RequestQueue } from "../src/batching/request-queue.js";
import { makeRequest, queueOwner, rejectionOf, track } from "./batching-fixtures.js";

const limits = { maxQueueSize: 100, maxQueueBytes: 1 << 20, priorityLevels: 3 };

describe("request queue", () => {
  let queue: RequestQueue;
  const owner = queueOwner(() => queue);

  beforeEach(() => {
    vi.useFakeTimers();
    owner.log.length = 0;
    queue = createRequestQueue(limits, systemClock);
  });

  afterEach(() => {
    queue.close();
    vi.useRealTimers();
  });

  it("orders a group by strict priority, FIFO within a level", () => {
    const pushed = [2, 1, 3, 1, 2].map((priority) => makeRequest(owner, { priority }));
    for (const request of pushed) queue.push(request);
    const [group] = queue.groups();
    const order = Array.from(group?.members() ?? [], (request) => pushed.indexOf(request));
    expect(order).toEqual([1, 3, 0, 4, 2]);
    expect(group?.head).toBe(pushed[1]);
  });

  it("orders groups by their most urgent request", () => {
    const lowOld = makeRequest(owner, { priority: 2, shapeKey: "a" });
    const highNew = makeRequest(owner, { priority: 1, shapeKey: "b" });
    const highNewer = makeRequest(owner, { priority: 1, shapeKey: "c" });
    for (const request of [lowOld, highNewer, highNew]) queue.push(request);
    expect(queue.groups().map((group) => group.shapeKey)).toEqual(["b", "c", "a"]);
  });

  it("refuses a push past max_queue_size at once, naming the bound", () => {
    queue = createRequestQueue({ ...limits, maxQueueSize: 2 }, systemClock);
    queue.push(makeRequest(owner));
    queue.push(makeRequest(owner));
    const third = makeRequest(owner);
    expect(() => queue.push(third)).toThrowError(/max_queue_size is 2; retry later/);
    expect(queue.capacityError(4)?.code).toBe(ErrorCode.ResourceExhausted);
    expect(queue.size).toBe(2);
    expect(queue.has(third)).toBe(false);
  });

  it("refuses a push past max_queue_bytes at once, naming the bound", () => {
    queue = createRequestQueue({ ...limits, maxQueueBytes: 10 }, systemClock);
    queue.push(makeRequest(owner, { rows: 2 }));
    expect(queue.bytes).toBe(8);
    const error = queue.capacityError(4);
    expect(error?.code).toBe(ErrorCode.ResourceExhausted);
    expect(error?.message).toMatch(/max_queue_bytes is 10; retry later or raise max_queue_bytes/);
    expect(queue.capacityError(2)).toBeUndefined();
  });

  it("expires a request by timer at its deadline, leaving the others", async () => {
    const short = makeRequest(owner, { timeoutUs: 5_000 });
    const long = makeRequest(owner, { timeoutUs: 50_000 });
    const none = makeRequest(owner);
    for (const request of [short, long, none]) queue.push(request);
    const shortState = track(short.result);
    await vi.advanceTimersByTimeAsync(4);
    expect(shortState.settled).toBe(false);
    expect(queue.size).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(queue.has(short)).toBe(false);
    expect(short.outcome).toBe("expired");
    expect((await rejectionOf(short.result)).code).toBe(ErrorCode.DeadlineExceeded);
    expect(queue.size).toBe(2);
    await vi.advanceTimersByTimeAsync(45);
    expect(long.outcome).toBe("expired");
    expect(queue.has(none)).toBe(true);
  });

  it("uses one timer for every deadline", () => {
    for (let i = 0; i < 50; i++) queue.push(makeRequest(owner, { timeoutUs: 1_000 * (50 - i) }));
    expect(vi.getTimerCount()).toBe(1);
  });

  it("removes a request from the middle without expiring it later", async () => {
    const requests = [1, 2, 3].map(() => makeRequest(owner, { timeoutUs: 1_000 }));
    for (const request of requests) queue.push(request);
    const middle = requests[1];
    if (middle === undefined) throw new Error("unreachable");
    expect(queue.remove(middle)).toBe(true);
    expect(queue.remove(middle)).toBe(false);
    expect(Array.from(queue.groups()[0]?.members() ?? [])).toEqual([requests[0], requests[2]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(middle.state).toBe("queued");
    expect(requests[0]?.outcome).toBe("expired");
    expect(requests[2]?.outcome).toBe("expired");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("takes a cancelled request out at once, with CANCELLED", async () => {
    const controller = new AbortController();
    const cancelled = makeRequest(owner, { signal: controller.signal });
    const kept = makeRequest(owner);
    queue.push(cancelled);
    queue.push(kept);
    controller.abort();
    expect(queue.has(cancelled)).toBe(false);
    expect(queue.size).toBe(1);
    expect(owner.log).toEqual([cancelled]);
    expect((await rejectionOf(cancelled.result)).code).toBe(ErrorCode.Cancelled);
  });

  it("drops an emptied group", () => {
    const request = makeRequest(owner, { shapeKey: "k" });
    queue.push(request);
    queue.remove(request);
    expect(queue.groups()).toEqual([]);
    expect(queue.bytes).toBe(0);
  });
});

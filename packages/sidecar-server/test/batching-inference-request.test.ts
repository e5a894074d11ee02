import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import { describe, expect, it } from "vitest";
import {
  createInferenceRequest,
  type InferenceRequest,
  type RequestOwner,
} from "../src/batching/inference-request.js";
import { f32, makeRequest, rejectionOf, valuesOf } from "./batching-fixtures.js";

function countingOwner(): RequestOwner & { readonly log: InferenceRequest[] } {
  const log: InferenceRequest[] = [];
  return { log, released: (request) => void log.push(request) };
}

describe("inference request", () => {
  it("moves queued → scheduled → executing → released", async () => {
    const owner = countingOwner();
    const request = makeRequest(owner, { rows: 2 });
    expect(request.state).toBe("queued");
    expect(request.nextChunkRows).toBe(2);
    expect(request.takeChunk(5)).toBe(0);
    expect(request.state).toBe("scheduled");
    expect(request.scheduledAt).toBe(5);
    request.markExecuting();
    expect(request.state).toBe("executing");
    const output = f32("y", [2, 1], [7, 8]);
    request.completeChunk(0, [output]);
    expect(request.state).toBe("released");
    expect(request.outcome).toBe("resolved");
    expect(await request.result).toEqual([output]);
    expect(owner.log).toEqual([request]);
  });

  it("settles once: later resolve, reject, cancel and expire do nothing", async () => {
    const owner = countingOwner();
    const request = makeRequest(owner);
    const first = new SidecarError(ErrorCode.Internal, "first");
    expect(request.reject(first)).toBe(true);
    expect(request.resolve([])).toBe(false);
    expect(request.reject(new SidecarError(ErrorCode.Internal, "second"))).toBe(false);
    expect(request.cancel()).toBe(false);
    expect(request.expire()).toBe(false);
    request.completeChunk(0, []);
    expect(request.outcome).toBe("rejected");
    expect(await rejectionOf(request.result)).toBe(first);
    expect(owner.log).toHaveLength(1);
  });

  it("refuses to schedule a chunk twice", () => {
    const request = makeRequest(countingOwner());
    request.takeChunk(0);
    expect(() => request.takeChunk(0)).toThrowError(/no chunk to schedule/);
  });

  it("is cancelled by its signal in any state before release, and then stops listening", async () => {
    const controller = new AbortController();
    const owner = countingOwner();
    const request = makeRequest(owner, { signal: controller.signal });
    request.takeChunk(0);
    request.markExecuting();
    controller.abort(new Error("client gone"));
    expect(request.outcome).toBe("cancelled");
    const error = await rejectionOf(request.result);
    expect(error.code).toBe(ErrorCode.Cancelled);
    expect((error.cause as Error).message).toBe("client gone");
    request.completeChunk(0, [f32("y", [1, 1], [1])]);
    expect(request.outcome).toBe("cancelled");
  });

  it("stops listening to its signal once released", () => {
    const controller = new AbortController();
    const request = makeRequest(countingOwner(), { signal: controller.signal });
    request.resolve([]);
    controller.abort();
    expect(request.outcome).toBe("resolved");
  });

  it("expires with DEADLINE_EXCEEDED naming its timeout", async () => {
    const request = makeRequest(countingOwner(), { timeoutUs: 2_500 });
    expect(request.deadline).toBe(request.enqueuedAt + 2.5);
    request.expire();
    const error = await rejectionOf(request.result);
    expect(error.code).toBe(ErrorCode.DeadlineExceeded);
    expect(error.message).toMatch(/timeout of 2500 us/);
  });

  it("has no deadline without a timeout", () => {
    expect(makeRequest(countingOwner()).deadline).toBe(Infinity);
  });

  it("joins a split request's chunk outputs in row order", async () => {
    const request = createInferenceRequest({
      sequence: 1,
      chunks: [
        { inputs: [f32("x", [2, 1], [1, 2])], rows: 2 },
        { inputs: [f32("x", [1, 1], [3])], rows: 1 },
      ],
      outputNames: ["y"],
      outputLabels: ["Y"],
      rows: 3,
      byteLength: 12,
      shapeKey: "",
      priority: 1,
      enqueuedAt: 0,
      timeoutUs: 0,
      signal: undefined,
      owner: countingOwner(),
    });
    request.takeChunk(0);
    expect(request.state).toBe("queued");
    request.takeChunk(0);
    request.completeChunk(1, [f32("Y", [1, 1], [30])]);
    expect(request.state).toBe("scheduled");
    request.completeChunk(0, [f32("Y", [2, 1], [10, 20])]);
    const [joined] = await request.result;
    expect(joined?.shape).toEqual([3, 1]);
    expect(valuesOf(joined)).toEqual([10, 20, 30]);
  });
});

import {
  ErrorCode,
  type ModelSignature,
  SidecarError,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDynamicBatcher } from "../src/batching/dynamic-batcher.js";
import { FakeExecutor, rowsTensor, track, valuesOf } from "./batching-fixtures.js";

const signature: ModelSignature = {
  inputs: [{ name: "x", datatype: "FP32", shape: [-1, 1] }],
  outputs: [{ name: "y", datatype: "FP32", shape: [-1, 1] }],
};

type Action =
  | { kind: "submit"; rows: number; priority: number; timeoutUs: number; cancel: boolean }
  | { kind: "abort"; pick: number }
  | { kind: "advance"; ms: number }
  | { kind: "finish"; pick: number; ok: boolean };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("submit" as const),
    rows: fc.integer({ min: 1, max: 9 }),
    priority: fc.integer({ min: 1, max: 3 }),
    timeoutUs: fc.constantFrom(0, 1_000, 3_000, 10_000),
    cancel: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("abort" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant("finish" as const), pick: fc.nat(), ok: fc.boolean() }),
);

interface Submitted {
  readonly base: number;
  readonly rows: number;
  readonly controller: AbortController | undefined;
  readonly state: ReturnType<typeof track<Tensor[]>>;
  abortedAtRun: number | undefined;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("batcher invariants under random interleavings", () => {
  it("settles every request once, with its own rows, and drains to nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3_000 }),
        async (actions, maxBatchSize, instances, delayUs) => {
          const executor = new FakeExecutor({ instances });
          const batcher = createDynamicBatcher({
            signature,
            config: {
              max_batch_size: maxBatchSize,
              max_queue_delay_us: delayUs,
              max_queue_size: 8,
              priority_levels: 3,
            },
            executor,
          });
          const submitted: Submitted[] = [];
          let base = 0;
          const finishOne = (pick: number, ok: boolean) => {
            const open = executor.runs.filter((run) => !run.settled);
            const run = open[pick % Math.max(1, open.length)];
            if (run === undefined) return;
            if (ok) run.respond();
            else run.reject(new SidecarError(ErrorCode.Internal, "boom"));
          };
          for (const step of actions) {
            if (step.kind === "submit") {
              const controller = step.cancel ? new AbortController() : undefined;
              const result = batcher.submit({
                inputs: [rowsTensor("x", step.rows, 1, base)],
                priority: step.priority,
                timeoutUs: step.timeoutUs,
                signal: controller?.signal,
              });
              submitted.push({
                base,
                rows: step.rows,
                controller,
                state: track(result),
                abortedAtRun: undefined,
              });
              base += step.rows;
            } else if (step.kind === "abort") {
              const cancellable = submitted.filter((entry) => entry.controller !== undefined);
              const entry = cancellable[step.pick % Math.max(1, cancellable.length)];
              if (entry !== undefined && !entry.controller?.signal.aborted) {
                entry.abortedAtRun = executor.runs.length;
                entry.controller?.abort();
              }
            } else if (step.kind === "advance") {
              await vi.advanceTimersByTimeAsync(step.ms);
            } else {
              finishOne(step.pick, step.ok);
              await vi.advanceTimersByTimeAsync(0);
            }
          }
          const closed = track(batcher.close());
          for (let round = 0; round < 200 && !closed.settled; round++) {
            await vi.advanceTimersByTimeAsync(0);
            finishOne(0, true);
          }
          await vi.advanceTimersByTimeAsync(0);
          expect(closed.settled).toBe(true);
          expect(batcher.pending).toBe(0);
          expect(batcher.queued).toBe(0);
          for (const rows of executor.batchRows) expect(rows).toBeLessThanOrEqual(maxBatchSize);
          // Which request each executed row belongs to, by its unique value.
          const ranAt = new Map<number, number>();
          executor.runs.forEach((run, index) => {
            for (const value of valuesOf(run.inputs[0])) ranAt.set(value, index);
          });
          for (const entry of submitted) {
            expect(entry.state.settled).toBe(true);
            if (entry.state.error === undefined) {
              expect(valuesOf(entry.state.value?.[0])).toEqual(
                Array.from({ length: entry.rows }, (_, r) => entry.base + r),
              );
            } else {
              expect(entry.state.error).toBeInstanceOf(SidecarError);
            }
            if (entry.abortedAtRun !== undefined) {
              // Rows of a cancelled request never reach a batch dispatched after the abort.
              const lastRow = entry.base + entry.rows - 1;
              const run = ranAt.get(lastRow);
              if (run !== undefined) expect(run).toBeLessThan(entry.abortedAtRun);
            }
          }
          const statistics = batcher.statistics();
          expect(statistics.success.count + statistics.fail.count + statistics.rejectedCount).toBe(
            submitted.length,
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});

import type { Tensor } from "@gpu-sidecar/sidecar-core";
import { type DROPPED, PENDING, type QueueSlot } from "./element-queue.js";
import type { InferenceCall } from "./inference-call.js";

/** Where a record stands between admission and its one settlement. */
export const RecordState = {
  /** Waiting in the coalescer for its batch to leave. */
  Coalescing: 0,
  /** Part of an `infer` call in flight. */
  Calling: 1,
  /** Waiting out the pause before its next attempt. */
  Backoff: 2,
  /** Its next attempt would start after its deadline: only the deadline can settle it now. */
  AwaitingDeadline: 3,
  /** Result, failure, default value or drop decided; nothing may change it. */
  Settled: 4,
} as const;

export type RecordState = (typeof RecordState)[keyof typeof RecordState];

/**
 * The operator's state for one record. Attempts and backoff live here, so retries of one
 * record never affect another's pauses (Flink shares exponential backoff state across records).
 */
export class InFlightRecord<R, O> implements QueueSlot<O> {
  output: O | typeof PENDING | typeof DROPPED = PENDING;
  segment = 0;
  state: RecordState = RecordState.Coalescing;
  attempts = 0;
  inputs: Tensor[] = [];
  /** Rows the record contributes to a coalesced call. */
  rows = 1;
  deadline = Number.POSITIVE_INFINITY;
  deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
  call: InferenceCall<R, O> | undefined;

  constructor(readonly record: R) {}
}

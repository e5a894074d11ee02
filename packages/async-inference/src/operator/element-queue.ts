import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";

/** A slot's output before its record settles. */
export const PENDING: unique symbol = Symbol("pending");
/** A settled record that emits nothing (`onTimeout: "drop"`). */
export const DROPPED: unique symbol = Symbol("dropped");

/**
 * A record's place in an element queue. The operator's per-record state implements it, so
 * that queueing a record allocates nothing of its own.
 */
export interface QueueSlot<O> {
  output: O | typeof PENDING | typeof DROPPED;
  /** Which watermark-delimited segment holds the record (unordered queue only). */
  segment: number;
}

/**
 * Flink's `StreamElementQueue`: every element inside the operator, from admission until the
 * consumer takes it. `size` is what `capacity` bounds.
 */
export interface ElementQueue<O> {
  readonly size: number;
  addRecord(slot: QueueSlot<O>): void;
  addWatermark(watermark: O): void;
  /** Settles a record added earlier, with its output or DROPPED. */
  complete(slot: QueueSlot<O>, output: O | typeof DROPPED): void;
  hasEmittable(): boolean;
  /** Takes the next element to emit; only after `hasEmittable()` returned true. */
  poll(): O;
}

/** A queue used against its contract: a bug in the operator, never a user error. */
export function brokenInvariant(what: string): SidecarError {
  return new SidecarError(ErrorCode.Internal, `element queue invariant broken: ${what}`);
}

import type { InFlightRecord } from "./in-flight-record.js";

/** One `infer` call in flight, carrying one record or a coalesced batch of them. */
export class InferenceCall<R, O> {
  readonly controller = new AbortController();
  /** Members still waiting on this call; at zero (all timed out) the call is aborted. */
  waiting: number;

  constructor(
    readonly members: readonly InFlightRecord<R, O>[],
    readonly startedAt: number,
  ) {
    this.waiting = members.length;
  }
}

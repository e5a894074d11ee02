/**
 * The states of a sidecar, in the only order it may pass through them: it starts, serves,
 * drains its queued and running work, and stops.
 */
export const LifecycleState = {
  Starting: "STARTING",
  Serving: "SERVING",
  Draining: "DRAINING",
  Stopped: "STOPPED",
} as const;

export type LifecycleState = (typeof LifecycleState)[keyof typeof LifecycleState];

const order: readonly LifecycleState[] = Object.values(LifecycleState);

/** Position of a state in the lifecycle; a legal transition strictly increases it. */
export function lifecycleRank(state: LifecycleState): number {
  return order.indexOf(state);
}

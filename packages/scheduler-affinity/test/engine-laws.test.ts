import { createResourceProfile, ResourceProfile } from "@gpu-sidecar/resource-profile";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Allocation,
  createPlacementEngine,
  type PlacementEngine,
  PlacementError,
  type PlacementStrategy,
} from "../src/index.js";
import { manualClock, worker } from "./engine-fixtures.js";

type Command =
  | { kind: "register"; gpus: number; slots: number }
  | { kind: "allocate"; gpu: string; cpu: string; model: boolean; unknown: boolean }
  | { kind: "release"; pick: number }
  | { kind: "status"; pick: number; status: "serving" | "not-serving" | "unreachable" }
  | { kind: "ready"; pick: number; ready: boolean }
  | { kind: "advance"; ms: number }
  | { kind: "unregister"; pick: number };

const GPU_SHARES = ["0", "0.1", "0.25", "0.3333333333333333", "0.5", "0.75", "1", "2"];

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant("register" as const),
    gpus: fc.integer({ min: 0, max: 4 }),
    slots: fc.constantFrom(0, 1, 2, 4),
  }),
  {
    arbitrary: fc.record({
      kind: fc.constant("allocate" as const),
      gpu: fc.constantFrom(...GPU_SHARES),
      cpu: fc.constantFrom("0.1", "0.5", "1", "3"),
      model: fc.boolean(),
      unknown: fc.boolean(),
    }),
    weight: 4,
  },
  fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("status" as const),
    pick: fc.nat(),
    status: fc.constantFrom("serving" as const, "not-serving" as const, "unreachable" as const),
  }),
  fc.record({ kind: fc.constant("ready" as const), pick: fc.nat(), ready: fc.boolean() }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 1500 }) }),
  fc.record({ kind: fc.constant("unregister" as const), pick: fc.nat() }),
);

/** Runs the commands; `check` sees the engine after each one with the allocations it created. */
function run(
  strategy: PlacementStrategy,
  seed: number,
  commands: readonly Command[],
  check: (engine: PlacementEngine, created: Allocation[]) => void = () => {},
): PlacementEngine {
  const clock = manualClock();
  const engine = createPlacementEngine({ strategy, seed, now: clock.now, lossGraceMs: 1000 });
  let workers = 0;
  let requests = 0;
  const ids = (list: { id: string }[], pick: number) => list[pick % list.length]?.id;
  for (const step of commands) {
    const before = new Set(engine.allocations());
    try {
      switch (step.kind) {
        case "register": {
          const id = `w${workers++}`;
          // One slot (every GPU whole), or GPUs × 1, 2 or 4 (a slot holds a GPU or a share of one).
          const slots = step.slots === 0 ? 1 : Math.max(step.gpus, 1) * step.slots;
          engine.registerWorker(worker(id, step.gpus, slots));
          engine.reportSidecar(id, { status: "serving", models: { fraud: true } });
          break;
        }
        case "allocate":
          engine.allocate({
            id: `r${requests++}`,
            profile: step.unknown
              ? ResourceProfile.UNKNOWN
              : createResourceProfile({ cpuCores: step.cpu, extendedResources: { gpu: step.gpu } }),
            models: step.model ? ["fraud"] : [],
          });
          break;
        case "release": {
          const all = [
            ...engine.allocations().map((a) => a.requestId),
            ...engine.pending().map((p) => p.request.id),
          ];
          const id = all[step.pick % Math.max(all.length, 1)];
          if (id !== undefined) engine.release(id);
          break;
        }
        case "status": {
          const id = ids(engine.workers(), step.pick);
          if (id !== undefined) engine.reportSidecar(id, { status: step.status });
          break;
        }
        case "ready": {
          const id = ids(engine.workers(), step.pick);
          if (id !== undefined) engine.reportSidecar(id, { models: { fraud: step.ready } });
          break;
        }
        case "advance":
          clock.advance(step.ms);
          engine.tick();
          break;
        case "unregister": {
          const id = ids(engine.workers(), step.pick);
          if (id !== undefined) engine.unregisterWorker(id);
          break;
        }
      }
    } catch (error) {
      // Requests that can never fit are refused with a typed error; anything else is a bug.
      if (!(error instanceof PlacementError && error.code === "SA_ERR_NEVER_FITS")) throw error;
    }
    check(
      engine,
      engine.allocations().filter((allocation) => !before.has(allocation)),
    );
  }
  return engine;
}

const ONE_GPU = createResourceProfile({ extendedResources: { gpu: 1 } });

function checkNoOverAllocation(engine: PlacementEngine): void {
  const byWorker = new Map(engine.workers().map((view) => [view.id, view]));
  const used = new Map<string, ResourceProfile>();
  const device = new Map<string, ResourceProfile>();
  for (const allocation of engine.allocations()) {
    const view = byWorker.get(allocation.workerId);
    expect(view, `allocation ${allocation.requestId} on an unregistered worker`).toBeDefined();
    used.set(
      allocation.workerId,
      (used.get(allocation.workerId) ?? ResourceProfile.ZERO).merge(allocation.profile),
    );
    for (const share of allocation.gpus) {
      const key = `${allocation.workerId}/${share.index}`;
      const amount = createResourceProfile({ extendedResources: { gpu: share.share } });
      device.set(key, (device.get(key) ?? ResourceProfile.ZERO).merge(amount));
    }
  }
  for (const view of byWorker.values()) {
    const sum = used.get(view.id) ?? ResourceProfile.ZERO;
    const total = worker(view.id, view.gpuFree.length).total;
    expect(total.allFieldsNoLessThan(sum), `${view.id} holds ${sum} of ${total}`).toBe(true);
    // free + used is exactly the total: nothing lost, nothing invented.
    expect(view.free.merge(sum).equals(total)).toBe(true);
  }
  for (const [key, sum] of device) {
    expect(ONE_GPU.allFieldsNoLessThan(sum), `GPU ${key} holds ${sum}`).toBe(true);
  }
}

const STRATEGIES: PlacementStrategy[] = ["pack", "spread", "least-queue"];
const runs = { numRuns: 150 };

describe("engine laws (fast-check)", () => {
  for (const strategy of STRATEGIES) {
    it(`${strategy}: no over-allocation under any sequence of register/allocate/release/lose/return`, () => {
      fc.assert(
        fc.property(fc.array(command, { maxLength: 60 }), fc.integer(), (commands, seed) => {
          run(strategy, seed, commands, (engine) => checkNoOverAllocation(engine));
        }),
        runs,
      );
    });

    it(`${strategy}: placement and re-placement land only on live sidecars with the model READY`, () => {
      fc.assert(
        fc.property(fc.array(command, { maxLength: 60 }), fc.integer(), (commands, seed) => {
          run(strategy, seed, commands, (engine, created) => {
            const views = new Map(engine.workers().map((view) => [view.id, view]));
            for (const allocation of created) {
              const view = views.get(allocation.workerId);
              expect(view?.status).toBe("serving");
              expect(view?.blocked).toBe(false);
            }
            for (const view of views.values()) {
              if (view.blocked) expect(view.allocations).toEqual([]);
            }
          });
        }),
        runs,
      );
    });

    it(`${strategy}: the same seed gives the same placement`, () => {
      fc.assert(
        fc.property(fc.array(command, { maxLength: 60 }), fc.integer(), (commands, seed) => {
          const placements = (engine: PlacementEngine) =>
            JSON.stringify(
              engine
                .allocations()
                .map((a) => [a.requestId, a.workerId, a.gpus, a.profile.toString()]),
            );
          expect(placements(run(strategy, seed, commands))).toBe(
            placements(run(strategy, seed, commands)),
          );
        }),
        runs,
      );
    });
  }
});

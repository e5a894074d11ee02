import { ResourceProfile } from "@gpu-sidecar/resource-profile";
import { describe, expect, it } from "vitest";
import { createPlacementEngine, PlacementErrorCode, type PlacementEvent } from "../src/index.js";
import { gpuRequest, manualClock, worker } from "./engine-fixtures.js";

function liveEngine(strategy: "pack" | "spread" | "least-queue", gpusPerWorker = [2, 2]) {
  const clock = manualClock();
  const engine = createPlacementEngine({ strategy, now: clock.now, lossGraceMs: 1000, seed: 7 });
  gpusPerWorker.forEach((gpus, i) => {
    engine.registerWorker(worker(`w${i}`, gpus));
    engine.reportSidecar(`w${i}`, { status: "serving", models: { fraud: true } });
  });
  return { engine, clock };
}

describe("placement", () => {
  it("pack fills the first worker's first GPU before anything else", () => {
    const { engine } = liveEngine("pack");
    const shares = [1, 2, 3].map((n) => {
      const result = engine.allocate({
        id: `r${n}`,
        profile: gpuRequest("0.25"),
        models: ["fraud"],
      });
      if (!result.placed) throw new Error(result.reason);
      return `${result.allocation.workerId}/${result.allocation.gpus[0]?.index}=${result.allocation.gpus[0]?.share}`;
    });
    expect(shares).toEqual(["w0/0=0.25", "w0/0=0.25", "w0/0=0.25"]);
    expect(engine.workers()[0]?.gpuFree.map((gpu) => gpu.free)).toEqual(["0.25", "1"]);
  });

  it("spread counts GPUs: shares go to the least used worker and device", () => {
    const { engine } = liveEngine("spread");
    const where = [1, 2, 3, 4].map((n) => {
      const result = engine.allocate({
        id: `r${n}`,
        profile: gpuRequest("0.5"),
        models: ["fraud"],
      });
      if (!result.placed) throw new Error(result.reason);
      return `${result.allocation.workerId}/${result.allocation.gpus[0]?.index}`;
    });
    expect(where).toEqual(["w0/0", "w1/0", "w0/1", "w1/1"]);
  });

  it("exact decimals: three thirds of a GPU fill it, a fourth third does not fit", () => {
    const { engine } = liveEngine("pack", [1]);
    const third = gpuRequest("0.3333333333333333", "0.1");
    for (const id of ["a", "b", "c"])
      expect(engine.allocate({ id, profile: third }).placed).toBe(true);
    expect(engine.workers()[0]?.gpuFree[0]?.free).toBe("0.0000000000000001");
    const fourth = engine.allocate({ id: "d", profile: third });
    expect(fourth).toMatchObject({ placed: false });
  });

  it("UNKNOWN takes the worker's default slot: total ÷ slots, GPUs included", () => {
    const clock = manualClock();
    const engine = createPlacementEngine({ now: clock.now });
    engine.registerWorker(worker("w", 2, 4));
    engine.reportSidecar("w", { status: "serving" });
    const result = engine.allocate({ id: "r" });
    expect(result.placed && result.allocation.profile.getExtendedResource("gpu")).toBe("0.5");
    expect(result.placed && result.allocation.profile.getCpuCores()).toBe("1");
  });

  it("whole GPUs take whole free devices", () => {
    const { engine } = liveEngine("pack", [4]);
    engine.allocate({ id: "share", profile: gpuRequest("0.5") });
    const result = engine.allocate({ id: "two", profile: gpuRequest("2") });
    expect(result.placed && result.allocation.gpus.map((gpu) => [gpu.index, gpu.share])).toEqual([
      [1, "1"],
      [2, "1"],
    ]);
  });

  it("places only where the sidecar serves and the model is READY", () => {
    const { engine } = liveEngine("pack");
    engine.reportSidecar("w0", { models: { fraud: false, ranker: true } });
    engine.reportSidecar("w1", { status: "not-serving" });
    const result = engine.allocate({ id: "r", profile: gpuRequest("0.5"), models: ["fraud"] });
    expect(result.placed).toBe(false);
    expect(!result.placed && result.reason).toMatch(
      /1 with a sidecar not serving, 1 without fraud READY/,
    );
    engine.reportSidecar("w0", { models: { fraud: true, ranker: true } });
    expect(engine.allocation("r")?.workerId).toBe("w0");
    expect(engine.pending()).toEqual([]);
  });

  it("a request that can never fit names the missing resource", () => {
    const { engine } = liveEngine("pack");
    expect(() => engine.allocate({ id: "big", profile: gpuRequest("3") })).toThrowError(
      expect.objectContaining({
        code: PlacementErrorCode.NeverFits,
        message: expect.stringMatching(
          /needs gpu 3 and no registered worker has that much \(workers have gpu 2\)/,
        ),
      }),
    );
    expect(() => engine.allocate({ id: "odd", profile: gpuRequest("1.5") })).toThrowError(
      /gpu 1.5 is above 1 but not whole/,
    );
  });

  it("an unknown model names the models the sidecars serve", () => {
    const { engine } = liveEngine("pack");
    engine.reportSidecar("w1", { models: { ranker: true } });
    expect(() => engine.allocate({ id: "r", models: ["frud"] })).toThrowError(
      expect.objectContaining({
        code: PlacementErrorCode.UnknownModel,
        message: expect.stringContaining(
          'needs model "frud", which no sidecar serves; the sidecars serve: fraud, ranker',
        ),
      }),
    );
  });

  it("bad registrations name the field", () => {
    const engine = createPlacementEngine();
    expect(() => engine.registerWorker({ ...worker("w", 2), slots: 0 })).toThrowError(/slots is 0/);
    expect(() => engine.registerWorker({ ...worker("w", 2), gpus: [] })).toThrowError(
      /total has gpu 2 but 0 GPUs are listed/,
    );
    expect(() => engine.registerWorker(worker("w", 8, 3))).toThrowError(/8 GPUs over 3 slots/);
    expect(() =>
      engine.registerWorker({ ...worker("w", 1), total: ResourceProfile.ANY }),
    ).toThrowError(/total must be a specified ResourceProfile/);
  });
});

describe("loss", () => {
  async function collect(events: AsyncIterable<PlacementEvent>, n: number) {
    const seen: PlacementEvent[] = [];
    for await (const event of events) {
      seen.push(event);
      if (seen.length === n) break;
    }
    return seen;
  }

  it("a sidecar gone past the grace blocks its worker and re-places its allocations", async () => {
    const { engine, clock } = liveEngine("pack");
    const events = engine.events();
    engine.allocate({ id: "a", profile: gpuRequest("0.5"), models: ["fraud"] });
    engine.reportSidecar("w0", { status: "unreachable" });
    clock.advance(999);
    engine.tick();
    expect(engine.allocation("a")?.workerId).toBe("w0");
    clock.advance(1);
    engine.tick();
    expect(engine.allocation("a")?.workerId).toBe("w1");
    expect(engine.workers()[0]).toMatchObject({ blocked: true, allocations: [] });
    const seen = await collect(events, 3);
    expect(seen.map((event) => event.type)).toEqual(["placed", "lost", "replaced"]);
    expect(seen[1]).toMatchObject({ workerId: "w0", revoked: ["a"] });
    expect(seen[1]?.type === "lost" && seen[1].reason).toMatch(
      /unreachable for 1000 ms \(grace 1000 ms\)/,
    );
  });

  it("a sidecar back within the grace keeps its allocations", () => {
    const { engine, clock } = liveEngine("pack");
    engine.allocate({ id: "a", profile: gpuRequest("0.5") });
    engine.reportSidecar("w0", { status: "not-serving" });
    clock.advance(500);
    engine.reportSidecar("w0", { status: "serving" });
    clock.advance(5000);
    engine.tick();
    expect(engine.allocation("a")?.workerId).toBe("w0");
  });

  it("with no live capacity left, revoked work waits with a reason and a shortfall, then returns", () => {
    const { engine, clock } = liveEngine("pack", [1]);
    engine.allocate({ id: "a", profile: gpuRequest("0.5"), models: ["fraud"] });
    engine.allocate({ id: "b", profile: gpuRequest("0.5"), models: ["fraud"] });
    engine.reportSidecar("w0", { status: "unreachable" });
    clock.advance(1000);
    engine.tick();
    expect(engine.allocations()).toEqual([]);
    expect(engine.pending().map((p) => [p.request.id, p.previous?.workerId])).toEqual([
      ["a", "w0"],
      ["b", "w0"],
    ]);
    expect(engine.pending()[0]?.reason).toMatch(/of 1 workers, 1 lost/);
    const [short] = engine.shortfall();
    expect(short?.count).toBe(2);
    expect(short?.profile.getExtendedResource("gpu")).toBe("0.5");
    expect(short?.models).toEqual(["fraud"]);
    engine.registerWorker(worker("w9", 1));
    engine.reportSidecar("w9", { status: "serving", models: { fraud: true } });
    expect(engine.allocations().map((a) => a.workerId)).toEqual(["w9", "w9"]);
    expect(engine.shortfall()).toEqual([]);
  });
});

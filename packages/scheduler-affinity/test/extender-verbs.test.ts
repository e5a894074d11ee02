import { createResourceProfile } from "@gpu-sidecar/resource-profile";
import { describe, expect, it } from "vitest";
import { createSchedulerExtender } from "../src/index.js";
import { fixture, simulatedCluster } from "./extender-fixtures.js";

const REFUSED = {
  "gpu-node-b":
    "node gpu-node-b: model fraud is not READY on sidecar http://10.0.0.12:8001 (READY: ranker)",
  "gpu-node-c": "node gpu-node-c: sidecar http://10.0.0.13:8001 is unreachable",
  "cpu-node-1": "node cpu-node-1 has no gpu-sidecar known to the extender",
};

describe("filter", () => {
  it("nodeCacheCapable: answers NodeNames, with a reason for every refused node", () => {
    const extender = createSchedulerExtender({ engine: simulatedCluster() });
    const result = extender.filter(fixture("filter-args-node-names.json"));
    // The exact wire: PascalCase, Nodes null because the request sent NodeNames.
    expect(JSON.parse(JSON.stringify(result))).toEqual({
      Nodes: null,
      NodeNames: ["gpu-node-a"],
      FailedNodes: {},
      FailedAndUnresolvableNodes: REFUSED,
      Error: "",
    });
  });

  it("a NodeList in: the same NodeList out with only the nodes that pass", () => {
    const extender = createSchedulerExtender({ engine: simulatedCluster() });
    const args = JSON.parse(fixture("filter-args-node-list.json"));
    const result = extender.filter(JSON.stringify(args));
    expect(result.NodeNames).toBeNull();
    expect(result.Nodes).toEqual({ ...args.Nodes, items: [args.Nodes.items[0]] });
    expect(result.FailedAndUnresolvableNodes).toEqual(REFUSED);
    expect(result.Error).toBe("");
  });

  it("accepts any case, as Go's decoder does", () => {
    const extender = createSchedulerExtender({ engine: simulatedCluster() });
    const args = JSON.parse(fixture("filter-args-node-names.json"));
    const lower = { pod: args.Pod, nodes: null, nodenames: args.NodeNames };
    expect(extender.filter(JSON.stringify(lower)).NodeNames).toEqual(["gpu-node-a"]);
  });

  it("a node short of free GPU share goes to FailedNodes (preemption could help)", () => {
    const engine = simulatedCluster();
    const threeQuarters = createResourceProfile({ extendedResources: { gpu: "0.75" } });
    engine.allocate({ id: "other-1", profile: threeQuarters, models: ["fraud"] });
    engine.allocate({ id: "other-2", profile: threeQuarters, models: ["fraud"] });
    const result = createSchedulerExtender({ engine }).filter(
      fixture("filter-args-node-names.json"),
    );
    expect(result.NodeNames).toEqual([]);
    expect(result.FailedNodes["gpu-node-a"]).toMatch(
      /^node gpu-node-a: not enough free resources for .*gpu=0\.5.*free GPU shares \[0\.25, 0\.25\]$/,
    );
  });

  it("malformed JSON, a missing Pod, a bad annotation: an Error field, never a throw", () => {
    const extender = createSchedulerExtender({ engine: simulatedCluster() });
    const args = JSON.parse(fixture("filter-args-node-names.json"));
    const errorOf = (body: string) => extender.filter(body).Error;
    expect(errorOf("{not json")).toMatch(/^the request body is not JSON: /);
    expect(errorOf("[]")).toBe("the request body is not an ExtenderArgs object");
    expect(errorOf(JSON.stringify({ NodeNames: ["a"] }))).toMatch(/ExtenderArgs\.Pod is missing/);
    expect(errorOf(JSON.stringify({ Pod: args.Pod }))).toMatch(/neither NodeNames nor Nodes/);
    args.Pod.metadata.annotations["gpu-sidecar.io/gpu-share"] = "half";
    expect(errorOf(JSON.stringify(args))).toBe(
      'pod pipelines/fraud-scorer-7d9f8c6b5-x2kqp: annotation gpu-sidecar.io/gpu-share is "half", expected a GPU share such as "0.25" (a fraction of one GPU) or a whole number of GPUs',
    );
    expect(extender.filter("{not json")).toMatchObject({ Nodes: null, NodeNames: null });
  });

  it("an unknown model names the models the sidecars serve", () => {
    const extender = createSchedulerExtender({ engine: simulatedCluster() });
    const args = JSON.parse(fixture("filter-args-node-names.json"));
    args.Pod.metadata.annotations["gpu-sidecar.io/models"] = "fruad";
    expect(extender.filter(JSON.stringify(args)).Error).toBe(
      "pod pipelines/fraud-scorer-7d9f8c6b5-x2kqp needs model fruad, which no gpu-sidecar serves; the sidecars serve: fraud, ranker",
    );
  });

  it("a pod without the annotations is not the extender's business: every node passes", () => {
    const extender = createSchedulerExtender({ engine: simulatedCluster() });
    const args = JSON.parse(fixture("filter-args-node-names.json"));
    args.Pod.metadata.annotations = {};
    expect(extender.filter(JSON.stringify(args)).NodeNames).toEqual(args.NodeNames);
  });
});

describe("prioritize", () => {
  it("answers a HostPriorityList, 0–10, refused nodes 0", () => {
    const engine = simulatedCluster("spread");
    const extender = createSchedulerExtender({ engine });
    const body = fixture("filter-args-node-names.json");
    expect(extender.prioritize(body)).toEqual({
      ok: true,
      priorities: [
        { Host: "gpu-node-a", Score: 10 },
        { Host: "gpu-node-b", Score: 0 },
        { Host: "gpu-node-c", Score: 0 },
        { Host: "cpu-node-1", Score: 0 },
      ],
    });
    engine.allocate({
      id: "x",
      profile: createResourceProfile({ extendedResources: { gpu: "0.5" } }),
    });
    const after = extender.prioritize(body);
    // spread: one GPU of two is half used → 1 - 0.25 of the node's GPUs are free.
    expect(after.ok && after.priorities[0]).toEqual({ Host: "gpu-node-a", Score: 8 });
  });

  it("malformed JSON is an error (a non-200 reply), not a crash", () => {
    const extender = createSchedulerExtender({ engine: simulatedCluster() });
    expect(extender.prioritize("{")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not JSON/),
    });
  });
});

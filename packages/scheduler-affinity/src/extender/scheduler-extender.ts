import type { PlacementEngine } from "../placement-engine.js";
import { PlacementError } from "../placement-error.js";
import type { PlacementRequest, WorkerView } from "../placement-types.js";
import {
  decodeExtenderArgs,
  type ExtenderArgs,
  type ExtenderFilterResult,
  type FailedNodesMap,
  type HostPriority,
  MAX_EXTENDER_PRIORITY,
} from "./extender-wire.js";
import { podPlacementRequest } from "./pod-annotations.js";

/** Options of `createSchedulerExtender`. */
export interface SchedulerExtenderOptions {
  /** Its workers are the cluster's GPU nodes, by node name, each with its sidecar. */
  readonly engine: PlacementEngine;
  /** Default `"gpu"`, as the engine's. */
  readonly gpuResource?: string;
}

/** What `prioritize` answers: a `HostPriorityList`, or an error for a non-200 reply. */
export type PrioritizeResult =
  | { readonly ok: true; readonly priorities: HostPriority[] }
  | { readonly ok: false; readonly error: string };

/**
 * The kube-scheduler extender verbs over a placement engine, on request bodies as strings:
 * `filter` keeps the nodes whose sidecar is live with the pod's models READY and whose GPUs
 * can hold its share, and says why each other node was refused; `prioritize` scores the nodes
 * 0–10 by the engine's strategy. Neither throws: bad input comes back in `Error`.
 */
export interface SchedulerExtender {
  filter(body: string): ExtenderFilterResult;
  prioritize(body: string): PrioritizeResult;
}

function failure(error: unknown): string {
  return PlacementError.from(error).message;
}

export function createSchedulerExtender(options: SchedulerExtenderOptions): SchedulerExtender {
  const { engine } = options;
  const gpuResource = options.gpuResource ?? "gpu";

  function read(body: string): { args: ExtenderArgs; request: PlacementRequest | undefined } {
    const args = decodeExtenderArgs(body);
    return { args, request: podPlacementRequest(args.pod, gpuResource) };
  }

  function unknownModels(
    request: PlacementRequest,
    views: readonly WorkerView[],
  ): string | undefined {
    const served = new Set(views.flatMap((view) => Object.keys(view.models)));
    if (served.size === 0) return undefined;
    const unknown = (request.models ?? []).filter((model) => !served.has(model));
    if (unknown.length === 0) return undefined;
    return `pod ${request.id} needs model ${unknown.join(", ")}, which no gpu-sidecar serves; the sidecars serve: ${[...served].sort().join(", ")}`;
  }

  /** The node's refusal and whether preemption could cure it (only a lack of free resources). */
  function judge(
    request: PlacementRequest,
    node: string,
    view: WorkerView | undefined,
  ): { reason: string; resolvable: boolean } | undefined {
    if (view === undefined) {
      return { reason: `node ${node} has no gpu-sidecar known to the extender`, resolvable: false };
    }
    const reason = engine.refusal(request, node);
    if (reason === undefined) return undefined;
    const sidecarProblem =
      view.blocked ||
      view.status !== "serving" ||
      (request.models ?? []).some((model) => view.models[model] !== true);
    return { reason: `node ${node}: ${reason}`, resolvable: !sidecarProblem };
  }

  function score(view: WorkerView): number {
    const scale = (fraction: number) =>
      Math.round(MAX_EXTENDER_PRIORITY * Math.min(1, Math.max(0, fraction)));
    switch (engine.strategy) {
      case "pack":
        return scale(view.utilization);
      case "spread":
        return scale(1 - view.utilization);
      case "least-queue":
        return MAX_EXTENDER_PRIORITY - Math.min(MAX_EXTENDER_PRIORITY, Math.round(view.queueDepth));
    }
  }

  return {
    filter(body) {
      let decoded: ReturnType<typeof read>;
      try {
        decoded = read(body);
      } catch (error) {
        return {
          Nodes: null,
          NodeNames: null,
          FailedNodes: {},
          FailedAndUnresolvableNodes: {},
          Error: failure(error),
        };
      }
      const { args, request } = decoded;
      const views = new Map(engine.workers().map((view) => [view.id, view]));
      const failed: FailedNodesMap = {};
      const unresolvable: FailedNodesMap = {};
      const passed = new Set<string>();
      const unknown =
        request === undefined ? undefined : unknownModels(request, [...views.values()]);
      if (unknown !== undefined) {
        return {
          Nodes: null,
          NodeNames: null,
          FailedNodes: {},
          FailedAndUnresolvableNodes: {},
          Error: unknown,
        };
      }
      for (const node of args.nodeNames) {
        if (request === undefined) {
          passed.add(node);
          continue;
        }
        let verdict: ReturnType<typeof judge>;
        try {
          verdict = judge(request, node, views.get(node));
        } catch (error) {
          verdict = { reason: `node ${node}: ${failure(error)}`, resolvable: false };
        }
        if (verdict === undefined) passed.add(node);
        else if (verdict.resolvable) failed[node] = verdict.reason;
        else unresolvable[node] = verdict.reason;
      }
      const nodeList = args.nodeList;
      return {
        Nodes:
          nodeList === undefined
            ? null
            : {
                ...nodeList.list,
                items: nodeList.items.filter((_, i) => passed.has(args.nodeNames[i] as string)),
              },
        NodeNames: args.byName ? args.nodeNames.filter((node) => passed.has(node)) : null,
        FailedNodes: failed,
        FailedAndUnresolvableNodes: unresolvable,
        Error: "",
      };
    },

    prioritize(body) {
      let decoded: ReturnType<typeof read>;
      try {
        decoded = read(body);
      } catch (error) {
        return { ok: false, error: failure(error) };
      }
      const { args, request } = decoded;
      const views = new Map(engine.workers().map((view) => [view.id, view]));
      const priorities = args.nodeNames.map((node) => {
        const view = views.get(node);
        if (request === undefined || view === undefined) return { Host: node, Score: 0 };
        let refused: boolean;
        try {
          refused = engine.refusal(request, node) !== undefined;
        } catch {
          refused = true;
        }
        return { Host: node, Score: refused ? 0 : score(view) };
      });
      return { ok: true, priorities };
    },
  };
}

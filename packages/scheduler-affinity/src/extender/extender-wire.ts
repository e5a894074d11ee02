// The wire types of `k8s.io/kube-scheduler/extender/v1`. Those Go structs carry no JSON tags,
// so kube-scheduler writes their field names as they are (PascalCase) and Go's decoder accepts
// any case; the Pod and Node objects inside are ordinary Kubernetes JSON (camelCase).
import { PlacementError, PlacementErrorCode } from "../placement-error.js";

type JsonObject = Record<string, unknown>;

/** `FailedNodesMap`: node name → why the pod cannot go there. */
export type FailedNodesMap = Record<string, string>;

/** `ExtenderFilterResult`. Exactly one of `Nodes` and `NodeNames` is set, as in the request. */
export interface ExtenderFilterResult {
  Nodes: JsonObject | null;
  NodeNames: string[] | null;
  FailedNodes: FailedNodesMap;
  FailedAndUnresolvableNodes: FailedNodesMap;
  Error: string;
}

/** `HostPriority`; `HostPriorityList` is an array of them. Scores run 0 to 10. */
export interface HostPriority {
  Host: string;
  Score: number;
}

/** `MaxExtenderPriority`. */
export const MAX_EXTENDER_PRIORITY = 10;

/** The pod's identity and annotations, read from `ExtenderArgs.Pod`. */
export interface ExtenderPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** `ExtenderArgs`, decoded: the node list as received (to echo), or node names. */
export interface ExtenderArgs {
  readonly pod: ExtenderPod;
  /** `Nodes` (nodeCacheCapable false): the NodeList as received, and each node's name. */
  readonly nodeList:
    | { readonly list: JsonObject; readonly items: readonly JsonObject[] }
    | undefined;
  /** The candidate names, from `NodeNames` or from `Nodes.items[].metadata.name`. */
  readonly nodeNames: readonly string[];
  /** Whether the request came with `NodeNames` (nodeCacheCapable true). */
  readonly byName: boolean;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Go's `encoding/json` field lookup: the exact name first, else any case. */
export function field(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key];
  return undefined;
}

function bad(message: string): PlacementError {
  return new PlacementError(PlacementErrorCode.InvalidExtenderArgs, message);
}

function stringField(object: JsonObject, name: string, where: string, required: boolean): string {
  const value = field(object, name);
  if (value === undefined || value === null) {
    if (required) throw bad(`${where}.${name} is missing`);
    return "";
  }
  if (typeof value !== "string")
    throw bad(`${where}.${name} is ${JSON.stringify(value)}, expected a string`);
  return value;
}

function decodePod(value: unknown): ExtenderPod {
  if (!isObject(value)) throw bad("ExtenderArgs.Pod is missing or not an object (a v1.Pod)");
  const metadata = field(value, "metadata");
  if (!isObject(metadata)) throw bad("ExtenderArgs.Pod.metadata is missing or not an object");
  const where = "ExtenderArgs.Pod.metadata";
  const annotations = field(metadata, "annotations") ?? {};
  if (!isObject(annotations)) throw bad(`${where}.annotations is not an object`);
  const strings: Record<string, string> = {};
  for (const [key, annotation] of Object.entries(annotations)) {
    if (typeof annotation !== "string") {
      throw bad(
        `${where}.annotations[${JSON.stringify(key)}] is ${JSON.stringify(annotation)}, expected a string`,
      );
    }
    strings[key] = annotation;
  }
  return {
    namespace: stringField(metadata, "namespace", where, false) || "default",
    name: stringField(metadata, "name", where, true),
    uid: stringField(metadata, "uid", where, false),
    annotations: strings,
  };
}

/** Reads an `ExtenderArgs` body; throws `SA_ERR_INVALID_EXTENDER_ARGS` naming what is wrong. */
export function decodeExtenderArgs(body: string): ExtenderArgs {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw bad(`the request body is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(json)) throw bad("the request body is not an ExtenderArgs object");
  const pod = decodePod(field(json, "Pod"));
  const names = field(json, "NodeNames");
  if (names !== undefined && names !== null) {
    if (!Array.isArray(names) || names.some((name) => typeof name !== "string")) {
      throw bad("ExtenderArgs.NodeNames is not an array of node names");
    }
    return { pod, nodeList: undefined, nodeNames: names as string[], byName: true };
  }
  const nodes = field(json, "Nodes");
  if (!isObject(nodes)) {
    throw bad("ExtenderArgs has neither NodeNames nor Nodes (a v1.NodeList)");
  }
  const items = field(nodes, "items") ?? [];
  if (!Array.isArray(items) || !items.every(isObject)) {
    throw bad("ExtenderArgs.Nodes.items is not an array of v1.Node objects");
  }
  const nodeNames = items.map((node, i) => {
    const metadata = field(node, "metadata");
    if (!isObject(metadata)) throw bad(`ExtenderArgs.Nodes.items[${i}].metadata is missing`);
    return stringField(metadata, "name", `ExtenderArgs.Nodes.items[${i}].metadata`, true);
  });
  return { pod, nodeList: { list: nodes, items }, nodeNames, byName: false };
}

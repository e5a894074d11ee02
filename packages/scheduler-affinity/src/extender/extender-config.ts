import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { PlacementError, PlacementErrorCode } from "../placement-error.js";

const nodeSchema = z.strictObject({
  /** The Kubernetes node name, as kube-scheduler sends it. */
  name: z.string().min(1),
  /** The address of the node's sidecar as the extender reaches it, e.g. `http://10.0.0.11:8001`. */
  sidecar: z.string().min(1),
  /** GPUs on the node (what the device plugin shares). */
  gpus: z.int().min(0).max(1024),
});

const configSchema = z.strictObject({
  strategy: z.enum(["pack", "spread", "least-queue"]).default("spread"),
  seed: z.int().default(0),
  lossGraceMs: z.number().min(0).default(10_000),
  pollIntervalMs: z.number().positive().default(1_000),
  nodes: z.array(nodeSchema).min(1),
});

/** The extender's configuration file (YAML or JSON). */
export type ExtenderConfig = z.infer<typeof configSchema>;
export type ExtenderNodeConfig = z.infer<typeof nodeSchema>;

/** Reads and checks the configuration; errors name the key and the file. */
export function parseExtenderConfig(text: string, source: string): ExtenderConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new PlacementError(
      PlacementErrorCode.InvalidArgument,
      `${source}: not YAML or JSON: ${(error as Error).message}`,
    );
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`,
    );
    throw new PlacementError(PlacementErrorCode.InvalidArgument, `${source}: ${issues.join("; ")}`);
  }
  const seen = new Set<string>();
  for (const node of result.data.nodes) {
    if (seen.has(node.name)) {
      throw new PlacementError(
        PlacementErrorCode.InvalidArgument,
        `${source}: nodes: ${node.name} is listed twice`,
      );
    }
    seen.add(node.name);
  }
  return result.data;
}

export function readExtenderConfig(path: string): ExtenderConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new PlacementError(
      PlacementErrorCode.InvalidArgument,
      `--config ${path}: ${(error as Error).message}`,
    );
  }
  return parseExtenderConfig(text, path);
}

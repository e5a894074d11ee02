// The deployment files of deploy/kubernetes, checked without a cluster: every Kubernetes
// object against the API's OpenAPI schemas (kubernetes-models carries them, compiled), the
// KubeSchedulerConfiguration against its Go type, and both against what the extender serves.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { PodAnnotation, parseExtenderConfig } from "../src/index.js";

const DIR = join(import.meta.dirname, "..", "..", "..", "deploy", "kubernetes");

interface Manifest {
  readonly file: string;
  readonly object: { apiVersion: string; kind: string; metadata?: { name?: string } } & Record<
    string,
    unknown
  >;
}

const manifests: Manifest[] = readdirSync(DIR)
  .filter((file) => file.endsWith(".yaml"))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((document) => {
      expect(document.errors, `${file}: YAML errors`).toEqual([]);
      return { file, object: document.toJS() as Manifest["object"] };
    }),
  );

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/DaemonSet": DaemonSet,
  "apps/v1/Deployment": Deployment,
};

/** `KubeSchedulerConfiguration` of k8s.io/kube-scheduler/config/v1, the fields used here. */
const extenderSchema = z.strictObject({
  urlPrefix: z.url(),
  filterVerb: z.string().optional(),
  preemptVerb: z.string().optional(),
  prioritizeVerb: z.string().optional(),
  bindVerb: z.string().optional(),
  // Validation requires a positive weight when prioritizeVerb is set.
  weight: z.int().positive().optional(),
  enableHTTPS: z.boolean().optional(),
  httpTimeout: z
    .string()
    .regex(/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/, "a Go duration such as 5s")
    .optional(),
  nodeCacheCapable: z.boolean().optional(),
  managedResources: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z0-9.-]+\/[a-z0-9.-]+$/),
        ignoredByScheduler: z.boolean().optional(),
      }),
    )
    .optional(),
  ignorable: z.boolean().optional(),
});
const schedulerConfigSchema = z.strictObject({
  apiVersion: z.literal("kubescheduler.config.k8s.io/v1"),
  kind: z.literal("KubeSchedulerConfiguration"),
  clientConnection: z.strictObject({ kubeconfig: z.string() }).optional(),
  extenders: z.array(extenderSchema).min(1),
});

const byKind = (kind: string) => manifests.filter((manifest) => manifest.object.kind === kind);

/** The one object of `kind` (named `name`), typed as its model. */
function find<T>(kind: string, name?: string): T {
  const found = byKind(kind).find((m) => name === undefined || m.object.metadata?.name === name);
  if (found === undefined) throw new Error(`deploy/kubernetes has no ${kind} ${name ?? ""}`);
  return found.object as unknown as T;
}

describe("deploy/kubernetes", () => {
  it("has the sidecar DaemonSet, the extender, the worker Deployment and the scheduler config", () => {
    expect(
      manifests.map((m) => `${m.object.kind}/${m.object.metadata?.name ?? ""}`).sort(),
    ).toEqual([
      "ConfigMap/gpu-sidecar-scheduler",
      "ConfigMap/nvidia-device-plugin-time-slicing",
      "DaemonSet/gpu-sidecar",
      "Deployment/fraud-scorer",
      "Deployment/gpu-sidecar-scheduler",
      "KubeSchedulerConfiguration/",
      "Namespace/gpu-sidecar",
      "Namespace/pipelines",
      "Service/gpu-sidecar-scheduler",
    ]);
  });

  for (const { file, object } of manifests) {
    if (object.kind === "KubeSchedulerConfiguration") continue;
    it(`${file}: ${object.kind} ${object.metadata?.name} validates against the Kubernetes schema`, () => {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect(Model, `no schema for ${object.apiVersion} ${object.kind}`).toBeDefined();
      expect(() =>
        new (Model as NonNullable<typeof Model>)(object as never).validate(),
      ).not.toThrow();
    });
  }

  it("the schema check refuses what Kubernetes would (it is not a no-op)", () => {
    const daemonSet = structuredClone(find<object>("DaemonSet")) as {
      spec: { template: { spec: { containers: { startupProbe: { grpc: { port: unknown } } }[] } } };
    };
    (
      daemonSet.spec.template.spec.containers[0] as { startupProbe: { grpc: { port: unknown } } }
    ).startupProbe.grpc.port = "grpc";
    expect(() => new DaemonSet(daemonSet as never).validate()).toThrow(/port must be integer/);
  });

  it("the sidecar DaemonSet: whole GPUs in limits, gRPC probes, a long startup probe, the socket in a host directory, a metrics port", () => {
    const spec = find<DaemonSet>("DaemonSet").spec?.template.spec;
    const container = spec?.containers[0];
    expect(container?.resources?.limits?.["nvidia.com/gpu"]).toBe(1);
    for (const probe of [
      container?.startupProbe,
      container?.livenessProbe,
      container?.readinessProbe,
    ]) {
      expect(probe?.grpc?.port).toBe(8001);
    }
    const startup = container?.startupProbe;
    expect((startup?.periodSeconds ?? 0) * (startup?.failureThreshold ?? 0)).toBeGreaterThanOrEqual(
      300,
    );
    expect(spec?.volumes?.find((v) => v.name === "socket-dir")?.hostPath?.path).toBe(
      "/run/gpu-sidecar",
    );
    expect(container?.args).toContain("--uds=/run/gpu-sidecar/sidecar.sock");
    expect(container?.ports?.map((p) => p.containerPort)).toContain(8002);
  });

  it("the KubeSchedulerConfiguration names the extender where it serves filter and prioritize", () => {
    const parsed = schedulerConfigSchema.parse(find<object>("KubeSchedulerConfiguration"));
    const [extender] = parsed.extenders;
    const deployment = find<Deployment>("Deployment", "gpu-sidecar-scheduler");
    const args = deployment.spec?.template.spec?.containers[0]?.args ?? [];
    const prefix = args.find((arg) => arg.startsWith("--path-prefix="))?.split("=")[1];
    const port = args.find((arg) => arg.startsWith("--port="))?.split("=")[1];
    const service = find<Service>("Service");
    expect(extender?.urlPrefix).toBe(`http://${service.spec?.clusterIP}:${port}${prefix}`);
    expect([extender?.filterVerb, extender?.prioritizeVerb]).toEqual(["filter", "prioritize"]);
    expect(extender?.nodeCacheCapable).toBe(true);
  });

  it("the extender's ConfigMap holds a valid extender configuration", () => {
    const configMap = find<ConfigMap>("ConfigMap", "gpu-sidecar-scheduler");
    const text = configMap.data?.["extender.yaml"] ?? "";
    expect(parseExtenderConfig(text, "extender.yaml").nodes.length).toBeGreaterThan(0);
  });

  it("the worker Deployment carries the annotations the extender reads", () => {
    const worker = find<Deployment>("Deployment", "fraud-scorer");
    const annotations = worker.spec?.template.metadata?.annotations;
    expect(annotations?.[PodAnnotation.Models]).toBe("fraud");
    expect(annotations?.[PodAnnotation.GpuShare]).toBe("0.25");
  });
});

import { ErrorCode, type Lifecycle, LifecycleState, SidecarError } from "@gpu-sidecar/sidecar-core";
import type {
  ModelControlMode,
  ModelRepository,
  RepositoryModel,
} from "@gpu-sidecar/sidecar-core/config";
import type { Logger } from "pino";
import type { BatcherMetrics } from "../batching/batcher-metrics.js";
import type { BatcherStatistics } from "../batching/batcher-statistics.js";
import type { InstanceBatchEvent } from "../executor/executor-pool.js";
import type { GpuInventory } from "../executor/gpu-inventory.js";
import type { ModelStateEntry } from "../metrics/model-state-gauge.js";
import { loadModelVersion, type ServedVersion } from "./model-version.js";

/** Where a model stands, in the words of Triton's repository index. */
export type ModelState = "LOADING" | "READY" | "UNAVAILABLE";

/** One row of the repository index: a loaded version, or a model with no version serving. */
export interface ModelIndexEntry {
  readonly name: string;
  /** Empty when no version is loaded. */
  readonly version: string;
  readonly state: ModelState;
  readonly reason: string;
}

export interface ModelVersionStatistics {
  readonly name: string;
  readonly version: string;
  readonly lastInferenceMs: number;
  readonly statistics: BatcherStatistics;
}

export interface ModelLoadFailure {
  readonly name: string;
  readonly error: SidecarError;
}

export interface ModelManagerOptions {
  readonly repository: ModelRepository;
  readonly mode: ModelControlMode;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  /** The metrics hooks of one model version's batcher (the metrics module provides them). */
  readonly batcherMetrics?: ((model: string, version: string) => BatcherMetrics) | undefined;
  /** The per-instance batch hook of one model version (labels work with its device). */
  readonly instanceMetrics?:
    | ((model: string, version: string) => (event: InstanceBatchEvent) => void)
    | undefined;
  /** The node's GPUs, for instance groups of kind "gpu". */
  readonly gpus: GpuInventory;
  /** The process's `CUDA_VISIBLE_DEVICES`, named in placement messages. */
  readonly cudaVisibleDevices: string | undefined;
}

/**
 * The models the sidecar serves: for each model the versions its policy selects, each with its
 * executor pool and dynamic batcher, and their readiness in the lifecycle. Loads and unloads of
 * one model run one after another; a failed reload keeps the old versions serving.
 */
export interface ModelManager {
  readonly mode: ModelControlMode;
  /**
   * Configures `names` in the lifecycle and loads them all. A model that fails stays configured
   * and not ready (so the sidecar is not ready); the failures are returned, each logged.
   */
  start(names: readonly string[]): Promise<ModelLoadFailure[]>;
  /**
   * The loaded version a request names: "" or "latest" (what Flink's Triton provider sends)
   * is the highest loaded version. Throws NOT_FOUND.
   */
  find(name: string, version?: string): ServedVersion;
  /** `find` for new inference work: also UNAVAILABLE unless the sidecar is serving. */
  acquire(name: string, version?: string): ServedVersion;
  /** Loaded versions of a model, ascending; empty when none is. */
  versionsOf(name: string): readonly string[];
  /** Whether the named version (or the default one) can take requests now. */
  isReady(name: string, version?: string): boolean;
  /** Every model of the repository and every loaded one, by name. */
  index(): Promise<ModelIndexEntry[]>;
  /**
   * The load state of every model loading, loaded or failed (not of repository models never
   * asked for, nor unloaded ones), by name; synchronous, for a metrics scrape.
   */
  loadStates(): ModelStateEntry[];
  /**
   * Loads or reloads a model (explicit model control only). `overrides` names the load
   * parameters a client sent (Triton's config and file overrides), which are refused: the
   * repository is the one source of a model's config.
   */
  load(name: string, overrides?: readonly string[]): Promise<void>;
  /** Unloads a model after its accepted requests are answered (explicit model control only). */
  unload(name: string): Promise<void>;
  /** Statistics of every loaded version, of one model's versions, or of one version. */
  statistics(name?: string, version?: string): ModelVersionStatistics[];
  /** Refuses new loads, then drains and closes every model version. Idempotent. */
  close(): Promise<void>;
  /** Ends every executor without waiting for queued work (after a drain timeout). */
  terminate(): Promise<void>;
}

interface ModelEntry {
  /** Ascending by version number. */
  readonly versions: readonly ServedVersion[];
  /** Why the last load failed, while no version serves. */
  readonly reason: string;
}

/** What clients may send to mean "the default version". */
const DEFAULT_VERSIONS = new Set(["", "latest"]);

export function createModelManager(options: ModelManagerOptions): ModelManager {
  const { repository, mode, lifecycle, logger, batcherMetrics, instanceMetrics } = options;
  const entries = new Map<string, ModelEntry>();
  const loading = new Set<string>();
  /** The tail of each model's load/unload chain. */
  const chains = new Map<string, Promise<void>>();
  let closing: Promise<void> | undefined;

  function serialize(name: string, task: () => Promise<void>): Promise<void> {
    const run = (chains.get(name) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => {});
    chains.set(name, tail);
    void tail.then(() => {
      if (chains.get(name) === tail) chains.delete(name);
    });
    return run;
  }

  function requireExplicit(action: string): void {
    if (mode !== "explicit") {
      throw new SidecarError(
        ErrorCode.FailedPrecondition,
        `cannot ${action}: model_control_mode is "${mode}", which loads the whole repository at start; start the sidecar with --model-control-mode explicit to load and unload models through the API`,
      );
    }
  }

  function requireOpen(action: string): void {
    if (closing !== undefined) {
      throw new SidecarError(
        ErrorCode.Unavailable,
        `cannot ${action}: the sidecar is shutting down`,
      );
    }
  }

  function find(name: string, version = ""): ServedVersion {
    const versions = entries.get(name)?.versions ?? [];
    const served = DEFAULT_VERSIONS.has(version)
      ? versions.at(-1)
      : versions.find((candidate) => candidate.version === version);
    if (served !== undefined) return served;
    if (versions.length > 0) {
      throw new SidecarError(
        ErrorCode.NotFound,
        `model "${name}" has no loaded version "${version}"; loaded: ${versions.map((v) => v.version).join(", ")}`,
      );
    }
    throw new SidecarError(
      ErrorCode.NotFound,
      `model "${name}" is not loaded${loading.has(name) ? " yet (it is loading)" : ""}`,
    );
  }

  async function loadVersions(model: RepositoryModel): Promise<ServedVersion[]> {
    const attempts = await Promise.allSettled(
      model.versions.map((version) =>
        loadModelVersion({
          model,
          version,
          logger: logger.child({ model: model.name, version: version.version }),
          metrics: batcherMetrics?.(model.name, version.version),
          onInstanceBatch: instanceMetrics?.(model.name, version.version),
          gpus: options.gpus,
          cudaVisibleDevices: options.cudaVisibleDevices,
        }),
      ),
    );
    const loaded = attempts.flatMap((attempt) =>
      attempt.status === "fulfilled" ? [attempt.value] : [],
    );
    const failure = attempts.find((attempt) => attempt.status === "rejected");
    if (failure !== undefined) {
      // All versions or none: a model half loaded would serve some versions of a broken config.
      await Promise.all(loaded.map((served) => served.close()));
      throw SidecarError.from(failure.reason);
    }
    return loaded;
  }

  /**
   * Loads every selected version of `name` and swaps them in for the old ones, which then
   * drain. On failure the old versions keep serving; a model with none is left UNAVAILABLE
   * and, unless `keepConfigured`, dropped from the lifecycle so it does not hold readiness.
   */
  async function loadModel(name: string, keepConfigured: boolean): Promise<void> {
    const previous = entries.get(name);
    const startedAt = performance.now();
    loading.add(name);
    if (!lifecycle.hasModel(name)) lifecycle.addModel(name);
    try {
      const model = await repository.readModel(name);
      const versions = await loadVersions(model);
      entries.set(name, { versions, reason: "" });
      lifecycle.setModelReady(name, true);
      logger.info(
        {
          model: name,
          versions: versions.map((served) => served.version),
          backend: model.config.backend,
          instanceGroup: model.config.instance_group,
          loadMs: Math.round(performance.now() - startedAt),
        },
        previous?.versions.length ? "model reloaded" : "model loaded",
      );
    } catch (reason) {
      const error = SidecarError.from(reason);
      const serving = previous?.versions.length ?? 0;
      logger.error(
        { model: name, err: error, code: error.code },
        serving > 0
          ? `model "${name}" failed to reload; the previously loaded versions keep serving: ${error.message}`
          : `model "${name}" failed to load and is not ready: ${error.message}`,
      );
      if (serving === 0) {
        // A refused name (`../x`, one the repository lacks) leaves no row behind: the index
        // lists the repository's models, and must not grow with every bad request.
        const known = keepConfigured || (await repository.listModels()).includes(name);
        if (known) entries.set(name, { versions: [], reason: error.message });
        else entries.delete(name);
        if (!keepConfigured && lifecycle.hasModel(name)) lifecycle.removeModel(name);
      }
      throw error;
    } finally {
      loading.delete(name);
    }
    await Promise.all((previous?.versions ?? []).map((served) => served.close()));
  }

  function allVersions(): ServedVersion[] {
    return [...entries.values()].flatMap((entry) => entry.versions);
  }

  return {
    mode,
    async start(names) {
      for (const name of names) if (!lifecycle.hasModel(name)) lifecycle.addModel(name);
      const results = await Promise.allSettled(
        names.map((name) => serialize(name, () => loadModel(name, true))),
      );
      return results.flatMap((result, index) =>
        result.status === "rejected"
          ? [{ name: names[index] as string, error: SidecarError.from(result.reason) }]
          : [],
      );
    },
    find,
    acquire(name, version) {
      const state = lifecycle.state;
      // A draining sidecar still takes the requests of its grace period, until `close`.
      const accepting =
        state === LifecycleState.Serving ||
        (state === LifecycleState.Draining && closing === undefined);
      if (!accepting) {
        throw new SidecarError(
          ErrorCode.Unavailable,
          state === LifecycleState.Starting
            ? "the sidecar is starting; retry once /v2/health/ready answers 200"
            : "the sidecar is shutting down and accepts no new requests",
        );
      }
      return find(name, version);
    },
    versionsOf(name) {
      return (entries.get(name)?.versions ?? []).map((served) => served.version);
    },
    isReady(name, version) {
      if (lifecycle.state !== LifecycleState.Serving) return false;
      try {
        find(name, version);
        return true;
      } catch {
        return false;
      }
    },
    async index() {
      const names = new Set([...(await repository.listModels()), ...entries.keys(), ...loading]);
      return [...names].sort().flatMap((name): ModelIndexEntry[] => {
        const entry = entries.get(name);
        if (entry !== undefined && entry.versions.length > 0) {
          return entry.versions.map((served) => ({
            name,
            version: served.version,
            state: "READY",
            reason: "",
          }));
        }
        if (loading.has(name)) return [{ name, version: "", state: "LOADING", reason: "" }];
        return [{ name, version: "", state: "UNAVAILABLE", reason: entry?.reason || "not loaded" }];
      });
    },
    loadStates() {
      const names = [...new Set([...entries.keys(), ...loading])].sort();
      return names.map((model): ModelStateEntry => {
        if ((entries.get(model)?.versions.length ?? 0) > 0) return { model, state: "loaded" };
        return { model, state: loading.has(model) ? "loading" : "failed" };
      });
    },
    async load(name, overrides = []) {
      requireExplicit(`load model "${name}"`);
      if (overrides.length > 0) {
        throw new SidecarError(
          ErrorCode.Unimplemented,
          `load parameters (${overrides.join(", ")}) are not supported; edit the model's config.json in the repository and load it again`,
        );
      }
      requireOpen(`load model "${name}"`);
      await serialize(name, () => loadModel(name, false));
    },
    async unload(name) {
      requireExplicit(`unload model "${name}"`);
      requireOpen(`unload model "${name}"`);
      await serialize(name, async () => {
        const entry = entries.get(name);
        if (entry === undefined && !lifecycle.hasModel(name)) {
          throw new SidecarError(ErrorCode.NotFound, `model "${name}" is not loaded`);
        }
        // From here new requests get NOT_FOUND; accepted ones are still answered.
        entries.delete(name);
        if (lifecycle.hasModel(name)) lifecycle.removeModel(name);
        await Promise.all((entry?.versions ?? []).map((served) => served.close()));
        logger.info({ model: name }, "model unloaded");
      });
    },
    statistics(name = "", version = "") {
      const selected =
        name === ""
          ? allVersions()
          : version === ""
            ? (entries.get(name)?.versions ?? [find(name)])
            : [find(name, version)];
      return selected.map((served) => ({
        name: served.name,
        version: served.version,
        lastInferenceMs: served.lastInferenceMs,
        statistics: served.statistics(),
      }));
    },
    close() {
      closing ??= (async () => {
        // Loads already under way finish first, so that their versions are closed too.
        await Promise.all(chains.values());
        await Promise.all(allVersions().map((served) => served.close()));
      })();
      return closing;
    },
    async terminate() {
      await Promise.all(allVersions().map((served) => served.terminate()));
    },
  };
}

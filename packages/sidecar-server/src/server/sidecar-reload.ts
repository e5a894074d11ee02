import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import type { SidecarConfig } from "@gpu-sidecar/sidecar-core/config";
import type { ModelManager } from "./model-manager.js";

/** What a reload (SIGHUP) applied, and what it left for a restart. */
export interface SidecarReload {
  /** The config now in effect: `running` with what was applied from the config read again. */
  readonly running: SidecarConfig;
  /** Whether the models were reloaded: only in explicit model control, in both configs. */
  readonly modelsReloaded: boolean;
  /** Models the config names now and did not before, loaded. */
  readonly loaded: readonly string[];
  /** Models the config no longer names, unloaded. */
  readonly unloaded: readonly string[];
  /** Loads and unloads that failed, each with why. */
  readonly failed: readonly { readonly model: string; readonly reason: string }[];
  /** Key paths of settings that changed but take effect only on a restart. */
  readonly restartNeeded: readonly string[];
}

/** Every leaf of a config by key path; arrays are leaves. */
function leaves(value: unknown, prefix: string, into: Map<string, string>): Map<string, string> {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      leaves(child, prefix === "" ? key : `${prefix}.${key}`, into);
    }
  } else {
    into.set(prefix, JSON.stringify(value));
  }
  return into;
}

function changedKeys(before: SidecarConfig, after: SidecarConfig): string[] {
  const a = leaves(before, "", new Map());
  const b = leaves(after, "", new Map());
  return [...new Set([...a.keys(), ...b.keys()])].filter((key) => a.get(key) !== b.get(key)).sort();
}

/**
 * Applies to a running sidecar what a config read again changes that can change in place: in
 * explicit model control, the models it names (new ones load and removed ones unload, through
 * the repository API's own load and unload). The log level is the caller's (it owns the
 * logger). Every other changed setting is reported as needing a restart.
 */
export async function reloadSidecar(
  models: ModelManager,
  running: SidecarConfig,
  next: SidecarConfig,
): Promise<SidecarReload> {
  const modelsReloaded =
    running.model_control_mode === "explicit" && next.model_control_mode === "explicit";
  const applied: SidecarConfig = {
    ...running,
    log: next.log,
    ...(modelsReloaded ? { models: next.models } : {}),
  };
  const restartNeeded = changedKeys(applied, next);
  if (!modelsReloaded) {
    return {
      running: applied,
      modelsReloaded,
      loaded: [],
      unloaded: [],
      failed: [],
      restartNeeded,
    };
  }
  const before = new Set(running.models);
  const after = new Set(next.models);
  const added = next.models.filter((name) => !before.has(name));
  const removed = running.models.filter((name) => !after.has(name));
  const failed: { model: string; reason: string }[] = [];
  const settle = async (model: string, change: () => Promise<void>): Promise<boolean> => {
    try {
      await change();
      return true;
    } catch (reason) {
      failed.push({ model, reason: SidecarError.from(reason).message });
      return false;
    }
  };
  const outcomes = await Promise.all([
    ...added.map((name) => settle(name, () => models.load(name))),
    ...removed.map((name) =>
      settle(name, () =>
        models.unload(name).catch((reason: unknown) => {
          // Not loaded (it failed to, or the repository API unloaded it): unloaded all the same.
          if (SidecarError.from(reason).code !== ErrorCode.NotFound) throw reason;
        }),
      ),
    ),
  ]);
  return {
    running: applied,
    modelsReloaded,
    loaded: added.filter((_, index) => outcomes[index]),
    unloaded: removed.filter((_, index) => outcomes[added.length + index]),
    failed,
    restartNeeded,
  };
}

import { resolve } from "node:path";
import { PATH_KEYS } from "./config-overrides.js";
import { isPlainObject, valueAt } from "./key-path.js";
import type { SourceOf } from "./parse-config.js";

/** One source of raw settings (a file, the environment, the flags), before validation. */
export interface ConfigLayer {
  readonly value: Readonly<Record<string, unknown>>;
  /** The source of the value at `path` when this layer set it or a key above it. */
  readonly sourceOf: (path: readonly PropertyKey[]) => string | undefined;
}

/** One key set by an override layer. */
export interface ConfigSetting {
  readonly key: string;
  readonly value: unknown;
  readonly source: string;
}

/**
 * A config file's content, read from `file`. Its relative paths are rebased onto the file's
 * directory, so the file means the same from any working directory. An issue under any
 * top-level key the file sets is attributed to the file.
 */
export function createFileLayer(
  content: Readonly<Record<string, unknown>>,
  file: string,
  directory: string,
): ConfigLayer {
  const value = structuredClone(content) as Record<string, unknown>;
  for (const key of PATH_KEYS) {
    const keys = key.split(".");
    const leaf = keys.pop() ?? key;
    const parent = valueAt(value, keys);
    const path = isPlainObject(parent) ? parent[leaf] : undefined;
    if (isPlainObject(parent) && typeof path === "string" && path !== "") {
      parent[leaf] = resolve(directory, path);
    }
  }
  return {
    value,
    sourceOf: (path) => {
      const [top] = path;
      return typeof top === "string" && Object.hasOwn(value, top) ? file : undefined;
    },
  };
}

/** Settings of single keys (environment variables, flags), each attributed to its origin. */
export function createOverrideLayer(settings: readonly ConfigSetting[]): ConfigLayer {
  const value: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const setting of settings) {
    const keys = setting.key.split(".");
    const leaf = keys.pop() ?? setting.key;
    let parent = value;
    for (const key of keys) {
      const child = parent[key];
      const next: Record<string, unknown> = isPlainObject(child) ? child : {};
      parent[key] = next;
      parent = next;
    }
    parent[leaf] = setting.value;
    sources.set(setting.key, setting.source);
  }
  return {
    value,
    sourceOf: (path) => {
      // An issue may point below the key that was set, e.g. `models[1]` under `models`.
      for (let length = path.length; length > 0; length--) {
        const source = sources.get(path.slice(0, length).join("."));
        if (source !== undefined) return source;
      }
      return undefined;
    },
  };
}

function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    merged[key] = Object.hasOwn(merged, key) ? deepMerge(merged[key], value) : value;
  }
  return merged;
}

/** Objects merge key by key; any other value (lists included) replaces the one below it. */
export function mergeConfigLayers(layers: readonly ConfigLayer[]): Record<string, unknown> {
  let merged: Record<string, unknown> = {};
  for (const layer of layers) merged = deepMerge(merged, layer.value) as Record<string, unknown>;
  return merged;
}

/** Attributes a key path to the last layer that set it, else to `fallback`. */
export function sourceOfLayers(layers: readonly ConfigLayer[], fallback: string): SourceOf {
  return (path) => {
    for (let index = layers.length - 1; index >= 0; index--) {
      const source = layers[index]?.sourceOf(path);
      if (source !== undefined) return source;
    }
    return fallback;
  };
}

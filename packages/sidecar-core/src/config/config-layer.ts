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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasValueAt(root: unknown, path: readonly PropertyKey[]): boolean {
  let value = root;
  for (const key of path) {
    if (!isPlainObject(value) || typeof key !== "string" || !Object.hasOwn(value, key))
      return false;
    value = value[key];
  }
  return true;
}

/** A config file's content; every key path in it is attributed to the file. */
export function createFileLayer(value: Record<string, unknown>, source: string): ConfigLayer {
  return {
    value,
    sourceOf: (path) =>
      path.length > 0 && hasValueAt(value, path.slice(0, 1)) ? source : undefined,
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

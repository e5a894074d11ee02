import { dirname, resolve } from "node:path";
import { ConfigError } from "./config-error.js";
import type { ConfigIssue } from "./config-issue.js";
import {
  type ConfigLayer,
  type ConfigSetting,
  createFileLayer,
  createOverrideLayer,
  mergeConfigLayers,
  sourceOfLayers,
} from "./config-layer.js";
import {
  CONFIG_FILE_ENV,
  CONFIG_OVERRIDES,
  coerceOverride,
  ENV_PREFIX,
  type SidecarConfigFlags,
} from "./config-overrides.js";
import { isPlainObject } from "./key-path.js";
import { isKubernetesServiceVariable } from "./kubernetes-service-env.js";
import { validateConfig } from "./parse-config.js";
import { readConfigFile } from "./read-config-file.js";
import { type SidecarConfig, sidecarConfigSchema } from "./sidecar-config-schema.js";

export interface LoadSidecarConfigOptions {
  /** Parsed CLI flags; `flags.config` names the config file. */
  readonly flags?: SidecarConfigFlags;
  /** Environment to read `GPU_SIDECAR_*` variables from; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths given by flags and variables; defaults to `process.cwd()`. */
  readonly cwd?: string;
}

const KNOWN_VARIABLES = [CONFIG_FILE_ENV, ...CONFIG_OVERRIDES.map((override) => override.env)];

async function loadFileLayer(path: string): Promise<ConfigLayer> {
  const content = await readConfigFile(path);
  if (!isPlainObject(content)) {
    throw new ConfigError([
      {
        source: path,
        path: "",
        received: content,
        message: "expected an object of config keys at the top level",
      },
    ]);
  }
  return createFileLayer(content, path, dirname(path));
}

function readEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  issues: ConfigIssue[],
): ConfigSetting[] {
  const settings: ConfigSetting[] = [];
  for (const [name, raw] of Object.entries(env)) {
    // An empty variable counts as unset, as container runtimes pass `NAME=` for "no value".
    if (
      !name.startsWith(ENV_PREFIX) ||
      raw === undefined ||
      raw === "" ||
      name === CONFIG_FILE_ENV ||
      isKubernetesServiceVariable(name, raw)
    ) {
      continue;
    }
    const override = CONFIG_OVERRIDES.find((candidate) => candidate.env === name);
    if (override === undefined) {
      issues.push({
        source: `environment variable ${name}`,
        path: "",
        received: undefined,
        message: `unknown variable; the ${ENV_PREFIX} prefix is reserved for: ${KNOWN_VARIABLES.join(", ")}`,
      });
      continue;
    }
    settings.push({
      key: override.key,
      value: coerceOverride(override.kind, raw, cwd),
      source: `environment variable ${name}`,
    });
  }
  return settings;
}

function readFlags(flags: SidecarConfigFlags, cwd: string): ConfigSetting[] {
  const settings: ConfigSetting[] = [];
  for (const override of CONFIG_OVERRIDES) {
    if (override.flag === undefined) continue;
    const raw = flags[override.flag.option];
    if (raw === undefined) continue;
    settings.push({
      key: override.key,
      value: coerceOverride(override.kind, raw, cwd),
      source: `flag ${override.flag.name}`,
    });
  }
  return settings;
}

/**
 * Builds the sidecar config from defaults < config file < `GPU_SIDECAR_*` environment
 * variables < CLI flags, and validates the result as a whole. Throws one ConfigError listing
 * every issue, each with its key path, the value received, what is allowed, and the file,
 * variable or flag it came from.
 */
export async function loadSidecarConfig(
  options: LoadSidecarConfigOptions = {},
): Promise<SidecarConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const flags = options.flags ?? {};
  const issues: ConfigIssue[] = [];
  const layers: ConfigLayer[] = [];
  const file = flags.config || env[CONFIG_FILE_ENV] || undefined;
  if (file !== undefined) layers.push(await loadFileLayer(resolve(cwd, file)));
  layers.push(createOverrideLayer(readEnvironment(env, cwd, issues)));
  layers.push(createOverrideLayer(readFlags(flags, cwd)));

  const result = validateConfig(
    sidecarConfigSchema,
    mergeConfigLayers(layers),
    sourceOfLayers(layers, file === undefined ? "configuration" : resolve(cwd, file)),
  );
  if (!result.ok) throw new ConfigError([...issues, ...result.issues]);
  if (issues.length > 0) throw new ConfigError(issues);
  return result.value;
}

import { readdir, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { ErrorCode, SidecarError } from "../sidecar-error.js";
import { type ModelConfig, parseModelConfig } from "./model-config-schema.js";
import { isModelName, MODEL_NAME_RULE } from "./model-name.js";
import { readConfigFile } from "./read-config-file.js";
import { resolveVersionPolicy } from "./version-policy.js";

export const MODEL_CONFIG_FILE = "config.json";
export const ONNX_MODEL_FILE = "model.onnx";

/** Canonical positive integers only: `01` or `1.0` would make two names for one version. */
const VERSION_NAME = /^[1-9][0-9]*$/;

/** One version of a model that its version policy selects. */
export interface ModelVersion {
  /** The version directory's name, e.g. `"3"`: the protocol's string form of a version. */
  readonly version: string;
  /** `<repo>/<model>/<version>`, the `versionPath` of a ModelLoadRequest. */
  readonly path: string;
}

export interface RepositoryModel {
  readonly name: string;
  /** `<repo>/<model>`. */
  readonly path: string;
  /** `<repo>/<model>/config.json`, or the defaults when there is none. */
  readonly config: ModelConfig;
  /** The versions the version policy selects, ascending. */
  readonly versions: readonly ModelVersion[];
}

/** A Triton-like model repository: `<repo>/<model>/<version>/model.onnx`. */
export interface ModelRepository {
  /** The repository directory, absolute. */
  readonly root: string;
  /** Names of the model directories, sorted; whether each one loads is `readModel`'s question. */
  listModels(): Promise<string[]>;
  /** Reads one model's config and selected versions; throws a SidecarError naming the problem. */
  readModel(name: string): Promise<RepositoryModel>;
}

async function realpathOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}

/** Strictly below `root`: a symlink to the repository itself is no model either. */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function escapeError(what: string, real: string, realRoot: string): SidecarError {
  return new SidecarError(
    ErrorCode.InvalidArgument,
    `${what} resolves to ${real}, outside the model repository ${realRoot}; symlinks in a repository must point inside it`,
  );
}

async function availableVersions(
  modelPath: string,
): Promise<{ versions: number[]; ignored: string[] }> {
  const versions: number[] = [];
  const ignored: string[] = [];
  for (const entry of await readdir(modelPath, { withFileTypes: true })) {
    if (entry.name === MODEL_CONFIG_FILE) continue;
    const version = Number(entry.name);
    if (
      VERSION_NAME.test(entry.name) &&
      Number.isSafeInteger(version) &&
      (await isDirectory(join(modelPath, entry.name)))
    ) {
      versions.push(version);
    } else {
      ignored.push(entry.name);
    }
  }
  return { versions: versions.sort((a, b) => a - b), ignored: ignored.sort() };
}

async function selectVersions(
  name: string,
  modelPath: string,
  config: ModelConfig,
): Promise<number[]> {
  const { versions, ignored } = await availableVersions(modelPath);
  if (versions.length === 0) {
    const found = ignored.length > 0 ? `; found only: ${ignored.join(", ")}` : "";
    throw new SidecarError(
      ErrorCode.NotFound,
      `model ${JSON.stringify(name)} has no version: expected directories named by positive integers, such as ${join(modelPath, "1")}${found}`,
    );
  }
  const { selected, missing } = resolveVersionPolicy(config.version_policy, versions);
  if (missing.length > 0) {
    throw new SidecarError(
      ErrorCode.NotFound,
      `model ${JSON.stringify(name)}: version_policy.specific.versions asks for ${missing.join(", ")}, not found in ${modelPath}; available: ${versions.join(", ")}`,
    );
  }
  return [...selected];
}

async function realRepositoryRoot(root: string): Promise<string> {
  const real = await realpathOrUndefined(root);
  if (real === undefined || !(await isDirectory(real))) {
    throw new SidecarError(
      ErrorCode.NotFound,
      `model repository ${root} does not exist or is not a directory`,
    );
  }
  return real;
}

/**
 * Opens a model repository. Model names are checked against MODEL_NAME_PATTERN and every
 * directory the repository resolves (model and version directories, through symlinks) must stay
 * inside it, because names arrive from the network through the repository API.
 */
export async function loadModelRepository(path: string): Promise<ModelRepository> {
  const root = resolve(path);
  const realRoot = await realRepositoryRoot(root);

  async function readVersion(
    name: string,
    modelPath: string,
    config: ModelConfig,
    version: number,
  ): Promise<ModelVersion> {
    const versionPath = join(modelPath, String(version));
    const real = await realpath(versionPath);
    if (!isInside(realRoot, real)) {
      throw escapeError(`model ${JSON.stringify(name)} version ${version}`, real, realRoot);
    }
    const modelFile = join(versionPath, ONNX_MODEL_FILE);
    // A mock has no model file; its version directory alone says the version exists.
    if (config.backend === "onnx" && !(await isFile(modelFile))) {
      throw new SidecarError(
        ErrorCode.NotFound,
        `model ${JSON.stringify(name)} version ${version} has no model file ${modelFile}`,
      );
    }
    return { version: String(version), path: versionPath };
  }

  return {
    root,
    async listModels() {
      const names: string[] = [];
      for (const entry of await readdir(root, { withFileTypes: true })) {
        if (!isModelName(entry.name)) continue;
        const directory =
          entry.isDirectory() ||
          (entry.isSymbolicLink() && (await isDirectory(join(root, entry.name))));
        if (directory) names.push(entry.name);
      }
      return names.sort();
    },
    async readModel(name) {
      if (!isModelName(name)) {
        throw new SidecarError(
          ErrorCode.InvalidArgument,
          `invalid model name ${JSON.stringify(name)}: ${MODEL_NAME_RULE}`,
        );
      }
      const modelPath = join(root, name);
      const real = await realpathOrUndefined(modelPath);
      if (real !== undefined && !isInside(realRoot, real)) {
        throw escapeError(`model ${JSON.stringify(name)}`, real, realRoot);
      }
      if (real === undefined || !(await isDirectory(real))) {
        throw new SidecarError(
          ErrorCode.NotFound,
          `model ${JSON.stringify(name)} not found: the model repository has no directory of that name`,
        );
      }
      const configFile = join(modelPath, MODEL_CONFIG_FILE);
      const config = parseModelConfig(
        (await readConfigFile(configFile, { optional: true })) ?? {},
        configFile,
      );
      const selected = await selectVersions(name, modelPath, config);
      const versions = await Promise.all(
        selected.map((version) => readVersion(name, modelPath, config, version)),
      );
      return { name, path: modelPath, config, versions };
    },
  };
}

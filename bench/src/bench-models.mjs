import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeMlp, FRAUD_FEATURE_COUNT } from "@gpu-sidecar/sidecar-server/demo-model";
import { seededUniform } from "./seeded-uniform.mjs";

/** Generated models and their repositories; gitignored (`.bench-cache/`). */
export const CACHE_DIR = fileURLToPath(new URL("../.bench-cache/", import.meta.url));

/** The sidecar-server package's bundled model repository (shipped in its `files`). */
export const BUNDLED_MODELS = join(
  dirname(fileURLToPath(import.meta.resolve("@gpu-sidecar/sidecar-server/package.json"))),
  "models",
);

/** Every bench model has the fraud model's signature, so workers need not know which runs. */
const INPUT_NAME = "features";
const OUTPUT_NAME = "fraud_score";

/**
 * The overload scenario's queue bound: small, so that 3× the capacity fills it within
 * milliseconds and every further request measures the rejection path.
 */
export const OVERLOAD_MAX_QUEUE_SIZE = 32;

/**
 * The large model's widths: 16 → 4096 → 4096 → 2048 → 1, 25.2M FP32 parameters (101 MB), so a
 * batch of one streams every weight through memory once per row and batching pays. The quick
 * variant keeps the shape of the problem at a CI-sized 70k parameters.
 */
const LARGE_WIDTHS = [FRAUD_FEATURE_COUNT, 4096, 4096, 2048, 1];
const QUICK_LARGE_WIDTHS = [FRAUD_FEATURE_COUNT, 256, 256, 1];
const LARGE_SEED = "gpu-sidecar bench large MLP 1";

/**
 * The large model's config, modelled on the bundled fraud config: one instance on the CPU with
 * one intra-op thread and no spinning (the best of `onnxruntime-settings.mjs` here, see the
 * README), rows-based batches of up to 64 after at most 2 ms.
 */
/** @type {ModelConfig} */
const LARGE_CONFIG = {
  backend: "onnx",
  max_batch_size: 64,
  instance_group: [{ kind: "cpu", count: 1 }],
  execution_providers: ["cpu"],
  onnxruntime: { intra_op_thread_count: 1, allow_spinning: false },
  dynamic_batching: { max_queue_delay_us: 2000, max_queue_size: 4096 },
};

/** @typedef {{ dynamic_batching: Record<string, unknown> } & Record<string, unknown>} ModelConfig */

/**
 * @typedef {object} BenchModel
 * @property {import("./bench-options.mjs").ModelName} id
 * @property {string} description
 * @property {number} fileBytes Size of the ONNX file.
 * @property {string} repository Model repository holding `modelName` and `overloadModelName`.
 * @property {string} modelName
 * @property {string} overloadModelName The same file with `max_queue_size` OVERLOAD_MAX_QUEUE_SIZE.
 * @property {string} onnxPath The file every contender loads.
 * @property {ModelConfig} config The model config the sidecar serves it with.
 * @property {string} inputName FP32 [batch, FRAUD_FEATURE_COUNT]
 * @property {string} outputName FP32 [batch, 1]
 */

/**
 * Writes the Triton-layout repository of one model: `<name>/config.json`, `<name>/1/model.onnx`,
 * and `<name>-overload/` whose version directory links to the same file (the repository accepts
 * links that stay inside it), so the overload scenario serves the identical model.
 * @param {string} repository @param {string} name @param {ModelConfig} config
 * @param {(onnxPath: string) => void} writeModel Called when the model file is missing.
 */
function writeRepository(repository, name, config, writeModel) {
  const versionDir = join(repository, name, "1");
  const onnxPath = join(versionDir, "model.onnx");
  mkdirSync(versionDir, { recursive: true });
  if (!existsSync(onnxPath)) writeModel(onnxPath);
  writeFileSync(join(repository, name, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  const overload = join(repository, `${name}-overload`);
  mkdirSync(overload, { recursive: true });
  if (!existsSync(join(overload, "1"))) symlinkSync(join("..", name, "1"), join(overload, "1"));
  const overloadConfig = {
    ...config,
    dynamic_batching: { ...config.dynamic_batching, max_queue_size: OVERLOAD_MAX_QUEUE_SIZE },
  };
  writeFileSync(join(overload, "config.json"), `${JSON.stringify(overloadConfig, null, 2)}\n`);
  return onnxPath;
}

/**
 * The small model: the bundled fraud MLP with its bundled config, copied on every run so that
 * the benchmark always measures what the sidecar ships.
 * @returns {BenchModel}
 */
function smallModel() {
  const repository = join(CACHE_DIR, "small");
  const config = JSON.parse(readFileSync(join(BUNDLED_MODELS, "fraud", "config.json"), "utf8"));
  rmSync(join(repository, "fraud", "1", "model.onnx"), { force: true });
  const onnxPath = writeRepository(repository, "fraud", config, (path) =>
    copyFileSync(join(BUNDLED_MODELS, "fraud", "1", "model.onnx"), path),
  );
  return {
    id: "small",
    description: "the sidecar's bundled fraud MLP (models/fraud)",
    fileBytes: statSync(onnxPath).size,
    repository,
    modelName: "fraud",
    overloadModelName: "fraud-overload",
    onnxPath,
    config,
    inputName: INPUT_NAME,
    outputName: OUTPUT_NAME,
  };
}

/**
 * @param {number[]} widths
 * @returns {import("@gpu-sidecar/sidecar-server/demo-model").MlpLayer[]}
 */
function largeLayers(widths) {
  return widths.slice(1).map((outputs, i) => {
    const inputs = /** @type {number} */ (widths[i]);
    const last = i === widths.length - 2;
    // He-uniform weights keep ReLU activations in range through the deep stack.
    const bound = Math.sqrt(6 / inputs);
    return {
      inputs,
      outputs,
      activation: /** @type {"Relu" | "Sigmoid"} */ (last ? "Sigmoid" : "Relu"),
      weight: seededUniform(`${LARGE_SEED} layer${i}.weight`, inputs * outputs, bound),
      bias: seededUniform(`${LARGE_SEED} layer${i}.bias`, outputs, 0.1),
    };
  });
}

/**
 * The large model, generated from LARGE_SEED on first use and cached under a name that encodes
 * its widths and seed, written to a temporary name and renamed so that an interrupted run never
 * leaves a truncated model behind.
 * @param {boolean} quick
 * @returns {BenchModel}
 */
function largeModel(quick) {
  const widths = quick ? QUICK_LARGE_WIDTHS : LARGE_WIDTHS;
  const parameters = widths.slice(1).reduce((sum, outputs, i) => {
    const inputs = /** @type {number} */ (widths[i]);
    return sum + inputs * outputs + outputs;
  }, 0);
  const repository = join(CACHE_DIR, `large-${widths.join("-")}`);
  const onnxPath = writeRepository(repository, "fraud-large", LARGE_CONFIG, (path) => {
    const bytes = encodeMlp({
      graphName: "fraud_large_mlp",
      inputName: INPUT_NAME,
      outputName: OUTPUT_NAME,
      layers: largeLayers(widths),
      producer: "gpu-sidecar bench",
    });
    writeFileSync(`${path}.partial`, bytes);
    renameSync(`${path}.partial`, path);
  });
  return {
    id: "large",
    description: `generated MLP ${widths.join("→")}, ${(parameters / 1e6).toFixed(2)} M FP32 parameters`,
    fileBytes: statSync(onnxPath).size,
    repository,
    modelName: "fraud-large",
    overloadModelName: "fraud-large-overload",
    onnxPath,
    config: LARGE_CONFIG,
    inputName: INPUT_NAME,
    outputName: OUTPUT_NAME,
  };
}

/**
 * Prepares the model repository of a bench model and describes it.
 * @param {import("./bench-options.mjs").ModelName} id
 * @param {boolean} quick
 * @returns {BenchModel}
 */
export function prepareBenchModel(id, quick) {
  return id === "small" ? smallModel() : largeModel(quick);
}

import { access } from "node:fs/promises";
import { join } from "node:path";
import {
  type Backend,
  ErrorCode,
  type LoadedModel,
  type ModelLoadRequest,
  SidecarError,
  type TensorSpec,
} from "@gpu-sidecar/sidecar-core";
import { ONNX_MODEL_FILE } from "@gpu-sidecar/sidecar-core/config";
import * as ort from "onnxruntime-node";
import { parseOnnxParameters } from "./onnx-parameters.js";
import { missingProviderLibraries, onnxruntimeBinaryDir } from "./onnx-provider-libraries.js";
import { type OnnxSessionPlan, onnxSessionPlan } from "./onnx-session-options.js";
import { fromOrtTensor, tensorSpecOf, toOrtTensor } from "./onnx-tensors.js";

/** Creates one session: `ort.InferenceSession.create` unless a test looks at what reaches it. */
export type OnnxSessionFactory = (
  path: string,
  options: ort.InferenceSession.SessionOptions,
) => Promise<ort.InferenceSession>;

export interface OnnxBackendOptions {
  /** Receives load-time warnings (a CPU fallback); by default `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
  /** The seam where sessions are created; by default `ort.InferenceSession.create`. */
  readonly createSession?: OnnxSessionFactory;
}

const ENABLE_CUDA =
  "To run on the GPU, install onnxruntime-node's CUDA 12 provider libraries (allow its build " +
  "script and reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12; needs CUDA 12 and cuDNN 9, see " +
  "packages/sidecar-server/docs/gpu.md). To run on the CPU instead, set " +
  'execution_providers: ["cpu"], or allow_cpu_fallback: true to keep trying the GPU first.';

/**
 * The ONNX Runtime backend: one `InferenceSession` per loaded model, on the execution providers
 * the model config asks for. ORT itself silently drops a provider that cannot load; this backend
 * refuses instead, unless `allow_cpu_fallback` is set (see {@link OnnxParameters}).
 */
export function createOnnxBackend(options: OnnxBackendOptions = {}): Backend {
  const warn =
    options.onWarning ?? ((message: string) => process.emitWarning(message, "GpuSidecarWarning"));
  const create = options.createSession ?? createOrtSession;
  return { name: "onnx", load: (request) => loadOnnxModel(request, { warn, create }) };
}

/** `ort.InferenceSession.create`, refusing at once a provider whose library is not installed. */
async function createOrtSession(
  path: string,
  options: ort.InferenceSession.SessionOptions,
): Promise<ort.InferenceSession> {
  const dir = onnxruntimeBinaryDir();
  const missing = missingProviderLibraries(options.executionProviders ?? [], dir);
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(", ")} is not installed in ${dir} (onnxruntime-node was installed without it)`,
    );
  }
  return ort.InferenceSession.create(path, options);
}

interface SessionContext {
  readonly warn: (message: string) => void;
  readonly create: OnnxSessionFactory;
}

async function loadOnnxModel(
  request: ModelLoadRequest,
  context: SessionContext,
): Promise<LoadedModel> {
  const { device } = request;
  const where = device?.kind === "gpu" ? ` on GPU ${device.cudaDevice}` : "";
  const model = `onnx model "${request.name}" version ${request.version}${where}`;
  const { executionProviders, allowCpuFallback, onnxruntime } = parseOnnxParameters(request);
  const supported = ort.listSupportedBackends().map(({ name }) => name);
  const unknown = executionProviders.filter((provider) => !supported.includes(provider));
  if (unknown.length > 0) {
    throw new SidecarError(
      ErrorCode.FailedPrecondition,
      `${model}: execution provider(s) ${unknown.join(", ")} are not part of this ` +
        `onnxruntime-node build, which knows ${supported.join(", ")}; fix execution_providers`,
    );
  }
  const path = join(request.versionPath, ONNX_MODEL_FILE);
  try {
    await access(path);
  } catch (error) {
    throw new SidecarError(
      ErrorCode.NotFound,
      `${model}: no ${ONNX_MODEL_FILE} at ${path}; put the exported ONNX file there`,
      { cause: error },
    );
  }

  const plan = onnxSessionPlan(executionProviders, onnxruntime, device);
  if (plan.notApplied.length > 0) {
    context.warn(
      `${model}: ${plan.notApplied.join(", ")} reach InferenceSession.create, but onnxruntime-node 1.30 hands the CUDA and TensorRT providers only their device id, so these are not applied (see packages/sidecar-server/docs/gpu.md)`,
    );
  }
  const session = await createSession(model, path, plan, allowCpuFallback, context);
  try {
    return createOnnxModel(model, session);
  } catch (error) {
    await session.release();
    throw error;
  }
}

/**
 * Creates the session on the requested providers. If that fails and accelerators were asked
 * for, a CPU-only attempt tells a broken accelerator (CPU works) from a broken model (CPU fails
 * too) without parsing ORT's error messages.
 */
async function createSession(
  model: string,
  path: string,
  plan: OnnxSessionPlan,
  allowCpuFallback: boolean,
  { warn, create }: SessionContext,
): Promise<ort.InferenceSession> {
  const { options, providers } = plan;
  const modelError = (error: unknown) =>
    new SidecarError(
      ErrorCode.InvalidArgument,
      `${model}: ONNX Runtime cannot load ${path}: ${errorMessage(error)}; check that the ` +
        "file is a valid ONNX model whose opset this onnxruntime-node supports",
      { cause: error },
    );
  let acceleratorError: unknown;
  try {
    return await create(path, options);
  } catch (error) {
    if (providers.every((provider) => provider === "cpu")) throw modelError(error);
    acceleratorError = error;
  }

  let cpuSession: ort.InferenceSession;
  try {
    cpuSession = await create(path, { ...options, executionProviders: ["cpu"] });
  } catch (error) {
    throw modelError(error);
  }
  const accelerators = providers.filter((provider) => provider !== "cpu").join(", ");
  const failure = `${model}: execution provider(s) ${accelerators} were requested but cannot load: ${errorMessage(acceleratorError)}.`;
  if (!allowCpuFallback) {
    await cpuSession.release();
    throw new SidecarError(ErrorCode.FailedPrecondition, `${failure} ${ENABLE_CUDA}`, {
      cause: acceleratorError,
    });
  }
  warn(`${failure} Running on the CPU because allow_cpu_fallback is true.`);
  return cpuSession;
}

function createOnnxModel(model: string, session: ort.InferenceSession): LoadedModel {
  const inputs = session.inputMetadata.map((metadata) => tensorSpecOf(model, metadata));
  const outputs = session.outputMetadata.map((metadata) => tensorSpecOf(model, metadata));
  const find = (specs: readonly TensorSpec[], kind: string, name: string): TensorSpec => {
    const spec = specs.find((candidate) => candidate.name === name);
    if (spec === undefined) {
      throw new SidecarError(
        ErrorCode.InvalidArgument,
        `${model} has no ${kind} "${name}"; its ${kind}s are ${specs.map((s) => s.name).join(", ")}`,
      );
    }
    return spec;
  };

  return {
    signature: { inputs, outputs },
    async run(batch, outputNames) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const tensor of batch) {
        const spec = find(inputs, "input", tensor.name);
        if (tensor.datatype !== spec.datatype) {
          throw new SidecarError(
            ErrorCode.InvalidArgument,
            `${model}: input "${tensor.name}" must be ${spec.datatype}, got ${tensor.datatype}`,
          );
        }
        feeds[tensor.name] = toOrtTensor(tensor);
      }
      const fetched = outputNames.map((name) => find(outputs, "output", name));
      let results: ort.InferenceSession.ReturnType;
      try {
        results = await session.run(feeds, outputNames);
      } catch (error) {
        throw new SidecarError(
          ErrorCode.Internal,
          `${model}: ONNX Runtime failed to run a batch: ${errorMessage(error)}`,
          { cause: error },
        );
      }
      return fetched.map((spec) => {
        const value = results[spec.name];
        if (value === undefined) {
          throw new SidecarError(
            ErrorCode.Internal,
            `${model}: ONNX Runtime returned no "${spec.name}"`,
          );
        }
        return fromOrtTensor(spec.name, spec.datatype, value);
      });
    },
    unload: () => session.release(),
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

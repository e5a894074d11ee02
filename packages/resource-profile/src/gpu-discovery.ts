import { type ChildProcess, spawn } from "node:child_process";
import type { GpuInfo } from "./gpu-info.js";
import type { GpuStatus } from "./gpu-status.js";
import { parseGpuStatusOutput, parseNvidiaSmiOutput } from "./nvidia-smi-output.js";
import { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";
import type { WorkerDeclaration } from "./worker-declaration.js";

export const DEFAULT_GPU_DISCOVERY_COMMAND = "nvidia-smi";

export const DEFAULT_GPU_DISCOVERY_ARGS: readonly string[] = Object.freeze([
  "--query-gpu=index,uuid,name,memory.total",
  "--format=csv,noheader,nounits",
]);

/** What `readGpuStatus` asks `nvidia-smi` for: the discovery query plus each GPU's load. */
export const GPU_STATUS_QUERY_ARGS: readonly string[] = Object.freeze([
  "--query-gpu=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu",
  "--format=csv,noheader,nounits",
]);

export const DEFAULT_GPU_DISCOVERY_TIMEOUT_MS = 10_000;

/** How to run discovery; like Flink's GPU driver, the command and its arguments are yours. */
export interface GpuDiscoveryOptions {
  /** Default `nvidia-smi`, looked up on `PATH`. */
  readonly command?: string;
  /** Default `DEFAULT_GPU_DISCOVERY_ARGS`; whatever runs must print that query's CSV. */
  readonly args?: readonly string[];
  /** Default 10 s; past it the command (and its process group) is killed. */
  readonly timeoutMs?: number;
  /** Aborting kills the command (and its process group) and rejects with `RP_ERR_DISCOVERY_FAILED`. */
  readonly signal?: AbortSignal;
}

/** The output kept for an error message; nvidia-smi's own explanations are short. */
const OUTPUT_TAIL = 500;

/**
 * Runs the discovery command and returns the GPUs it lists (none for empty output). Rejects
 * with `RP_ERR_DISCOVERY_COMMAND_NOT_FOUND` when the command does not exist,
 * `RP_ERR_DISCOVERY_TIMEOUT` when it hangs, `RP_ERR_DISCOVERY_FAILED` when it exits non-zero,
 * and `RP_ERR_DISCOVERY_OUTPUT_INVALID` naming the first line that is not a GPU.
 */
export async function discoverGpus(options: GpuDiscoveryOptions = {}): Promise<GpuInfo[]> {
  return parseNvidiaSmiOutput(await runDiscovery(options, DEFAULT_GPU_DISCOVERY_ARGS));
}

/**
 * Runs `nvidia-smi` with `GPU_STATUS_QUERY_ARGS` (`args` of the options is not used) and returns
 * every GPU with its memory in use, free memory and utilization now: what a sidecar checks
 * before it loads a model and what its metrics poll. Rejects as `discoverGpus` does.
 */
export async function readGpuStatus(
  options: Omit<GpuDiscoveryOptions, "args"> = {},
): Promise<GpuStatus[]> {
  return parseGpuStatusOutput(await runDiscovery(options, GPU_STATUS_QUERY_ARGS));
}

async function runDiscovery(
  options: GpuDiscoveryOptions,
  defaultArgs: readonly string[],
): Promise<string> {
  const command = options.command ?? DEFAULT_GPU_DISCOVERY_COMMAND;
  const args = options.args ?? defaultArgs;
  const timeoutMs = options.timeoutMs ?? DEFAULT_GPU_DISCOVERY_TIMEOUT_MS;
  if (command.trim() === "") {
    throw invalidOption("command", command, "name an executable such as nvidia-smi");
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw invalidOption("timeoutMs", String(timeoutMs), "use a positive number of milliseconds");
  }
  return runCommand(command, args, timeoutMs, options.signal);
}

/**
 * Discovery options from a worker declaration, as Flink's GPU driver reads them:
 * `external-resource.<name>.param.discovery-script.path` replaces the command and
 * `...discovery-script.args` (split on whitespace) the arguments. Throws
 * `RP_ERR_UNKNOWN_RESOURCE` when the worker does not declare `resourceName`.
 */
export function gpuDiscoveryOptionsFor(
  declaration: WorkerDeclaration,
  resourceName = "gpu",
  timeoutMs = DEFAULT_GPU_DISCOVERY_TIMEOUT_MS,
): GpuDiscoveryOptions {
  const resource = declaration.externalResources.get(resourceName);
  if (resource === undefined) {
    const declared = [...declaration.externalResources.keys()];
    throw new ResourceProfileError(
      ResourceProfileErrorCode.UnknownResource,
      `resource "${resourceName}" is not declared by this worker (external-resources: ` +
        `${declared.length === 0 ? "none" : declared.join(";")}); add it to external-resources`,
    );
  }
  const path = resource.params["discovery-script.path"];
  const args = resource.params["discovery-script.args"];
  return {
    command: path === undefined || path === "" ? DEFAULT_GPU_DISCOVERY_COMMAND : path,
    args: args === undefined ? DEFAULT_GPU_DISCOVERY_ARGS : args.split(/\s+/).filter(Boolean),
    timeoutMs,
  };
}

function runCommand(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(aborted(command, args));
      return;
    }
    // Its own process group, so a timeout kills a wrapper script's children too; otherwise a
    // hung grandchild keeps the output pipe open.
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      detached: process.platform !== "win32",
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    let settled = false;
    const onAbort = (): void => {
      killGroup(child);
      settle(aborted(command, args));
    };
    const settle = (error: ResourceProfileError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (error === undefined) resolve(Buffer.concat(stdout).toString("utf8"));
      else reject(error);
    };
    const timer = setTimeout(() => {
      killGroup(child);
      settle(
        new ResourceProfileError(
          ResourceProfileErrorCode.DiscoveryTimeout,
          `GPU discovery "${describe(command, args)}" did not finish within ${timeoutMs} ms ` +
            "and was killed; check that the GPU driver responds, or raise timeoutMs",
        ),
      );
    }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (error: NodeJS.ErrnoException) => {
      settle(
        error.code === "ENOENT"
          ? new ResourceProfileError(
              ResourceProfileErrorCode.DiscoveryCommandNotFound,
              `GPU discovery command "${command}" was not found; install the NVIDIA driver ` +
                "(nvidia-smi) or set the discovery command/path",
              { cause: error },
            )
          : new ResourceProfileError(
              ResourceProfileErrorCode.DiscoveryFailed,
              `GPU discovery command "${command}" could not start: ${error.message}`,
              { cause: error },
            ),
      );
    });
    child.on("close", (code, signal) => {
      if (code === 0) {
        settle(undefined);
        return;
      }
      // nvidia-smi prints its own explanation ("couldn't communicate with the driver") on stdout.
      const said =
        Buffer.concat(stderr).toString("utf8").trim() ||
        Buffer.concat(stdout).toString("utf8").trim();
      const tail = said.slice(-OUTPUT_TAIL);
      settle(
        new ResourceProfileError(
          ResourceProfileErrorCode.DiscoveryFailed,
          `GPU discovery "${describe(command, args)}" ` +
            (signal === null ? `exited with code ${code}` : `was killed by ${signal}`) +
            (tail === "" ? "" : `: ${tail}`),
        ),
      );
    });
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === "win32") child.kill("SIGKILL");
    else process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone: nothing left to kill.
  }
}

function aborted(command: string, args: readonly string[]): ResourceProfileError {
  return new ResourceProfileError(
    ResourceProfileErrorCode.DiscoveryFailed,
    `GPU discovery "${describe(command, args)}" was aborted by its caller`,
  );
}

function describe(command: string, args: readonly string[]): string {
  return [command, ...args].join(" ");
}

function invalidOption(field: string, value: string, hint: string): ResourceProfileError {
  return new ResourceProfileError(
    ResourceProfileErrorCode.InvalidArgument,
    `GPU discovery ${field}: ${JSON.stringify(value)} is invalid; ${hint}`,
  );
}

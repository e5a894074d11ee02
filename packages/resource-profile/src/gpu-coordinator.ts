import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import lockfile from "proper-lockfile";
import type { GpuInfo } from "./gpu-info.js";
import { isProcessAlive } from "./process-liveness.js";
import { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";
import { checkGpuCount } from "./select-gpus.js";

/** Where several workers on one host record which process holds which GPU. */
export interface GpuCoordinatorOptions {
  /** The JSON state file; its lock is `<stateFile>.lock`. Both are created on first use. */
  readonly stateFile: string;
  /** A lock older than this (ms) is taken over as left by a crashed process. Default 10 000. */
  readonly lockStaleMs?: number;
  /** How many times to retry a held lock (10–100 ms apart) before failing. Default 300. */
  readonly lockRetries?: number;
}

/** Coordination mode of GPU discovery: GPU indexes leased to process ids through a file. */
export interface GpuCoordinator {
  readonly stateFile: string;
  /**
   * Leases `count` more of `gpus` (lowest free indexes first) to `pid`, default this process.
   * Indexes held by dead processes are reclaimed first. Throws `RP_ERR_NOT_ENOUGH_GPUS` when
   * too few are free, leasing nothing.
   */
  acquire(gpus: readonly GpuInfo[], count: number, pid?: number): Promise<GpuInfo[]>;
  /** Ends the leases of `pid` (default this process): all, or only `indexes`. Returns them. */
  release(pid?: number, indexes?: readonly number[]): Promise<number[]>;
  /** The live leases, GPU index → pid, after reclaiming those of dead processes. */
  holders(): Promise<ReadonlyMap<number, number>>;
}

interface CoordinationState {
  readonly version: 1;
  /** GPU index (as a JSON key) → pid. */
  readonly holders: Readonly<Record<string, number>>;
}

/** Creates a coordinator over `options.stateFile`; nothing is touched until the first call. */
export function createGpuCoordinator(options: GpuCoordinatorOptions): GpuCoordinator {
  const { stateFile, lockStaleMs = 10_000, lockRetries = 300 } = options;
  if (stateFile === "") {
    throw invalidOption("stateFile", '""', "give the path of a JSON file shared by the workers");
  }
  // proper-lockfile silently raises a smaller `stale` to 2 s.
  if (!Number.isFinite(lockStaleMs) || lockStaleMs < 2_000) {
    throw invalidOption("lockStaleMs", String(lockStaleMs), "use at least 2000 ms");
  }
  if (!Number.isSafeInteger(lockRetries) || lockRetries < 0) {
    throw invalidOption("lockRetries", String(lockRetries), "use a whole number >= 0");
  }

  /** Runs `update` on the live leases under the lock and saves what it returns. */
  async function withLeases<T>(update: (leases: Map<number, number>) => T): Promise<T> {
    let compromised: Error | undefined;
    let unlock: () => Promise<void>;
    try {
      await mkdir(dirname(stateFile), { recursive: true });
      unlock = await lockfile.lock(stateFile, {
        realpath: false,
        stale: lockStaleMs,
        retries: { retries: lockRetries, minTimeout: 10, maxTimeout: 100, randomize: true },
        // The default throws from a timer; record it and fail this call instead.
        onCompromised: (error) => {
          compromised = error;
        },
      });
    } catch (error) {
      throw coordinationFailed(`could not lock ${stateFile}.lock`, error);
    }
    try {
      const leases = await load();
      for (const [index, pid] of leases) {
        if (!isProcessAlive(pid)) leases.delete(index);
      }
      const result = update(leases);
      if (compromised !== undefined) {
        throw coordinationFailed(`the lock ${stateFile}.lock was lost`, compromised);
      }
      await save(leases);
      return result;
    } finally {
      // The state is already written or the call already failed; a lock that cannot be
      // removed goes stale and is taken over after lockStaleMs.
      await unlock().catch(() => undefined);
    }
  }

  async function load(): Promise<Map<number, number>> {
    let text: string;
    try {
      text = await readFile(stateFile, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
      throw coordinationFailed(`could not read ${stateFile}`, error);
    }
    return parseState(stateFile, text);
  }

  async function save(leases: ReadonlyMap<number, number>): Promise<void> {
    const state: CoordinationState = {
      version: 1,
      holders: Object.fromEntries([...leases].sort(([a], [b]) => a - b)),
    };
    // Write then rename, so a crash mid-write never leaves a half file for the next worker.
    const temporary = `${stateFile}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
      await rename(temporary, stateFile);
    } catch (error) {
      throw coordinationFailed(`could not write ${stateFile}`, error);
    }
  }

  return {
    stateFile,
    async acquire(gpus, count, pid = process.pid) {
      checkGpuCount(count);
      checkPid(pid);
      return withLeases((leases) => {
        const free = [...gpus]
          .sort((a, b) => a.index - b.index)
          .filter((gpu) => !leases.has(gpu.index));
        if (free.length < count) {
          const held = [...leases].map(([index, holder]) => `${index} by pid ${holder}`);
          throw new ResourceProfileError(
            ResourceProfileErrorCode.NotEnoughGpus,
            `pid ${pid} requested ${count} GPU(s) but only ${free.length} of ${gpus.length} ` +
              `are free (held: ${held.join(", ") || "none"}; state file ${stateFile})`,
          );
        }
        const granted = free.slice(0, count);
        for (const gpu of granted) leases.set(gpu.index, pid);
        return granted;
      });
    },
    async release(pid = process.pid, indexes) {
      checkPid(pid);
      return withLeases((leases) => {
        const released = [...leases]
          .filter(([index, holder]) => holder === pid && (indexes?.includes(index) ?? true))
          .map(([index]) => index);
        for (const index of released) leases.delete(index);
        return released;
      });
    },
    async holders() {
      return withLeases((leases) => new Map(leases));
    },
  };
}

function parseState(stateFile: string, text: string): Map<number, number> {
  const invalid = (reason: string): ResourceProfileError =>
    coordinationFailed(
      `${stateFile} is not a GPU coordination state file (${reason}); ` +
        "delete it when no worker is running",
    );
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    throw invalid("not JSON");
  }
  if (typeof state !== "object" || state === null || !("holders" in state)) {
    throw invalid('no "holders" object');
  }
  const { version, holders } = state as { version?: unknown; holders: unknown };
  if (version !== 1) throw invalid(`version ${JSON.stringify(version)}, expected 1`);
  if (typeof holders !== "object" || holders === null || Array.isArray(holders)) {
    throw invalid('"holders" is not an object');
  }
  const leases = new Map<number, number>();
  for (const [indexText, pid] of Object.entries(holders)) {
    if (
      !/^\d+$/.test(indexText) ||
      typeof pid !== "number" ||
      !Number.isSafeInteger(pid) ||
      pid <= 0
    ) {
      throw invalid(`entry ${JSON.stringify(indexText)}: ${JSON.stringify(pid)}`);
    }
    leases.set(Number(indexText), pid);
  }
  return leases;
}

function checkPid(pid: number): void {
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    throw new ResourceProfileError(
      ResourceProfileErrorCode.InvalidArgument,
      `pid: ${String(pid)} is not a process id (a positive integer)`,
    );
  }
}

function invalidOption(field: string, value: string, hint: string): ResourceProfileError {
  return new ResourceProfileError(
    ResourceProfileErrorCode.InvalidArgument,
    `GPU coordinator ${field}: ${value} is invalid; ${hint}`,
  );
}

function coordinationFailed(message: string, cause?: unknown): ResourceProfileError {
  return new ResourceProfileError(
    ResourceProfileErrorCode.CoordinationFailed,
    cause instanceof Error ? `${message}: ${cause.message}` : message,
    cause === undefined ? undefined : { cause },
  );
}

import { chmod, lstat, stat, unlink } from "node:fs/promises";
import { connect } from "node:net";
import { dirname } from "node:path";
import { isMainThread } from "node:worker_threads";
import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";

/** Whether a process answers on the socket file: a stale file from a crash does not. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * The socket's directory must exist: `listen` would otherwise fail with EACCES as root, which
 * sends the operator looking at permissions instead of at a typo or a missing mount.
 */
async function requireDirectory(directory: string, path: string): Promise<void> {
  const stats = await stat(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
    throw error;
  });
  if (stats?.isDirectory() === true) return;
  throw new SidecarError(
    ErrorCode.FailedPrecondition,
    `the directory ${directory} of the Unix socket ${path} (server.uds.path) does not exist; create it (a volume mount, mkdir) or choose another path`,
  );
}

/**
 * Makes `path` free for a new socket: a socket file nobody answers on (left by a crashed
 * sidecar) is removed; a live socket or any other kind of file is an error, never deleted.
 * Returns whether a stale socket was removed.
 */
export async function claimSocketPath(path: string): Promise<boolean> {
  await requireDirectory(dirname(path), path);
  const stats = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (stats === undefined) return false;
  if (!stats.isSocket()) {
    throw new SidecarError(
      ErrorCode.FailedPrecondition,
      `${path} exists and is not a Unix socket; remove it or choose another server.uds.path`,
    );
  }
  if (await answers(path)) {
    throw new SidecarError(
      ErrorCode.FailedPrecondition,
      `another process is listening on the Unix socket ${path}; stop it or choose another server.uds.path`,
    );
  }
  await removeSocketFile(path);
  return true;
}

/**
 * Runs `bind` (a synchronous `server.listen(path)`) with a umask that creates the socket
 * owner-only, so that no other user can connect in the moment before `restrictSocket` sets the
 * configured mode. Worker threads cannot change the umask; there only the chmod protects.
 */
export function bindOwnerOnly(bind: () => void): void {
  if (!isMainThread) {
    bind();
    return;
  }
  const previous = process.umask(0o177);
  try {
    bind();
  } finally {
    process.umask(previous);
  }
}

/** Sets the socket file's permission bits (config `server.uds.mode`, default 0600). */
export async function restrictSocket(path: string, mode: number): Promise<void> {
  await chmod(path, mode);
}

export async function removeSocketFile(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

/**
 * Whether `pid` names a running process. Signal 0 checks without signalling; EPERM means it
 * exists under another user. A recycled pid reads as alive, which only delays a reclaim.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

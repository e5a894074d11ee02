/**
 * State shared by the coordinator and every worker thread through one SharedArrayBuffer: the
 * next transaction seed to score (claimed with an atomic add, so that the run scores exactly
 * `--records` transactions whichever workers are faster) and the stop flag.
 */
const NEXT_SEED = 0;
const STOP = 1;

export function createRunControl() {
  return new BigInt64Array(new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT));
}

/** The next seed below `limit`, or undefined once the run is stopped or the limit reached. */
export function claimSeed(control, limit) {
  if (Atomics.load(control, STOP) !== 0n) return undefined;
  const seed = Number(Atomics.add(control, NEXT_SEED, 1n));
  return seed < limit ? seed : undefined;
}

/** Asks every worker to stop taking new transactions; those in flight still finish. */
export function stopRun(control) {
  Atomics.store(control, STOP, 1n);
}

export function isStopped(control) {
  return Atomics.load(control, STOP) !== 0n;
}

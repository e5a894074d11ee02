// Plain ESM JavaScript so that `scripts/generate-demo-model.mjs` can run under Node 20 (which
// cannot run TypeScript) and still share this code with the TypeScript reference model.

/**
 * mulberry32: a tiny, fast 32-bit PRNG. Not for cryptography; chosen because it is a few lines,
 * has no dependencies and yields the same sequence on every platform, which is what makes the
 * demo model's weights and the synthetic transactions reproducible byte for byte.
 */
export function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

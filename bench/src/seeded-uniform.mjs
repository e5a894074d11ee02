import { createHash } from "node:crypto";

/**
 * `count` floats uniform in [-bound, bound), fully determined by `seed`: the SHAKE256 stream of
 * the seed read as little-endian uint32s. An extendable-output hash is a reproducible stream on
 * every platform and runs natively, so drawing the large model's 25M weights takes well under a
 * second, where a JavaScript PRNG loop takes several.
 * @param {string} seed
 * @param {number} count
 * @param {number} bound
 * @returns {Float32Array}
 */
export function seededUniform(seed, count, bound) {
  const bytes = createHash("shake256", { outputLength: count * 4 })
    .update(seed)
    .digest();
  const words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(count);
  const scale = (2 * bound) / 2 ** 32;
  for (let i = 0; i < count; i++) values[i] = words.getUint32(i * 4, true) * scale - bound;
  return values;
}

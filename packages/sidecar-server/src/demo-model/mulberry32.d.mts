/** Returns a generator of uniform numbers in [0, 1), fully determined by `seed` (a uint32). */
export declare function mulberry32(seed: number): () => number;

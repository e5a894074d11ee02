/**
 * Finds a model tensor by the name a client sent: the exact name first, else the one name that
 * matches ignoring case (Flink's Triton provider upper-cases names taken from SQL columns).
 * Names that differ only in case within one model match exactly only.
 */
export class TensorNameIndex {
  readonly #exact = new Map<string, number>();
  /** Lower-cased name → index, or -1 when two model names share it. */
  readonly #folded = new Map<string, number>();

  constructor(names: readonly string[]) {
    names.forEach((name, index) => {
      this.#exact.set(name, index);
      const folded = name.toLowerCase();
      this.#folded.set(folded, this.#folded.has(folded) ? -1 : index);
    });
  }

  /** The index of the model tensor `name` refers to, or undefined. */
  find(name: string): number | undefined {
    const exact = this.#exact.get(name);
    if (exact !== undefined) return exact;
    const folded = this.#folded.get(name.toLowerCase());
    return folded === undefined || folded === -1 ? undefined : folded;
  }
}

export function createTensorNameIndex(names: readonly string[]): TensorNameIndex {
  return new TensorNameIndex(names);
}

/** The Redis keys the pipeline uses: one stream, one consumer group, one hash of results. */
export const STREAM = "transactions";
export const GROUP = "scorers";
/** Hash: message id → JSON `{ tx, merchant, score }`; keyed by message id, so a redelivery overwrites. */
export const RESULTS = "scores";

/** A transaction as stream fields (Redis stores strings); float32 values round-trip exactly. */
export function toFields(tx, merchant, features) {
  return { tx: String(tx), merchant, features: Array.from(features).join(",") };
}

export function fromFields(fields) {
  return {
    tx: Number(fields.tx),
    merchant: fields.merchant,
    features: Float32Array.from(fields.features.split(","), Number),
  };
}

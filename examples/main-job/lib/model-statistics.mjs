/**
 * The sidecar's cumulative statistics of one model (KServe v2 REST
 * `GET /v2/models/{model}/stats`): rows run, batches run, requests that succeeded.
 */
export async function fetchModelStatistics(httpUrl, model) {
  const response = await fetch(`${httpUrl}/v2/models/${encodeURIComponent(model)}/stats`);
  if (!response.ok) {
    throw new Error(
      `GET /v2/models/${model}/stats answered ${response.status}: ${await response.text()}`,
    );
  }
  const body = await response.json();
  let rows = 0;
  let batches = 0;
  let requests = 0;
  for (const version of body.model_stats ?? []) {
    rows += version.inference_count ?? 0;
    batches += version.execution_count ?? 0;
    requests += version.inference_stats?.success?.count ?? 0;
  }
  return { rows, batches, requests };
}

/** Rows per batch and rows per request between two snapshots; NaN where nothing ran. */
export function batchingBetween(before, after) {
  const rows = after.rows - before.rows;
  const batches = after.batches - before.batches;
  const requests = after.requests - before.requests;
  return {
    rows,
    batches,
    requests,
    rowsPerBatch: batches > 0 ? rows / batches : Number.NaN,
    rowsPerRequest: requests > 0 ? rows / requests : Number.NaN,
  };
}

/** Rows and successful requests the sidecar has run for `model` (KServe v2 REST statistics). */
export async function fetchInferenceCount(
  httpUrl: string,
  model: string,
): Promise<{ rows: number; requests: number }> {
  const response = await fetch(`${httpUrl}/v2/models/${encodeURIComponent(model)}/stats`);
  const body = (await response.json()) as {
    model_stats?: {
      inference_count?: number;
      inference_stats?: { success?: { count?: number } };
    }[];
  };
  let rows = 0;
  let requests = 0;
  for (const version of body.model_stats ?? []) {
    rows += version.inference_count ?? 0;
    requests += version.inference_stats?.success?.count ?? 0;
  }
  return { rows, requests };
}

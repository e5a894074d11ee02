import type { RequestListener } from "node:http";
import type { PrometheusExporter } from "@opentelemetry/exporter-prometheus";

/** The path Prometheus scrapes by default. */
const METRICS_PATH = "/metrics";

/**
 * The metrics port's request listener: `GET`/`HEAD /metrics` answers in the Prometheus text
 * format; any other path is 404 and any other method 405, so that a mistyped scrape target
 * fails visibly instead of scraping nothing.
 */
export function createMetricsHandler(exporter: PrometheusExporter): RequestListener {
  return (request, response) => {
    const url = request.url ?? "/";
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    if (path !== METRICS_PATH) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      response.end(`not found: metrics are served at ${METRICS_PATH}\n`);
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      response.end(`method ${request.method} not allowed on ${METRICS_PATH}; use GET\n`);
      return;
    }
    exporter.getMetricsRequestHandler(request, response);
  };
}

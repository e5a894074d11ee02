import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { PlacementEngine } from "../placement-engine.js";
import type { SchedulerExtender } from "./scheduler-extender.js";

/** Options of `createExtenderServer`. */
export interface ExtenderServerOptions {
  readonly extender: SchedulerExtender;
  /** For the health answer. */
  readonly engine: PlacementEngine;
  /** The path before each verb (`urlPrefix`'s path in KubeSchedulerConfiguration). Default "". */
  readonly pathPrefix?: string;
  /** Largest request body; kube-scheduler sends whole NodeLists without nodeCacheCapable. Default 16 MiB. */
  readonly maxBodyBytes?: number;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Past the limit the rest is read and dropped, so that the 413 reaches the caller.
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on("end", () =>
      resolve(size > limit ? undefined : Buffer.concat(chunks).toString("utf8")),
    );
    request.on("error", reject);
  });
}

/**
 * The extender over HTTP: `POST <prefix>/filter` and `POST <prefix>/prioritize` as
 * kube-scheduler calls them, `GET <prefix>/healthz` for the extender's own health. Filter
 * errors come back in `Error` with 200 (kube-scheduler shows them on the pod); a prioritize
 * error is a 400 with `{"Error": …}`, which kube-scheduler logs and ignores.
 */
export function createExtenderServer(options: ExtenderServerOptions): Server {
  const { extender, engine } = options;
  const prefix = (options.pathPrefix ?? "").replace(/\/+$/, "");
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? "/").split("?")[0] as string;
    const verb = path.startsWith(`${prefix}/`) ? path.slice(prefix.length + 1) : undefined;
    if (verb === "healthz") {
      if (request.method !== "GET") return send(response, 405, { Error: "use GET for healthz" });
      const workers = engine.workers();
      return send(response, 200, {
        status: "ok",
        nodes: workers.length,
        liveSidecars: workers.filter((worker) => worker.status === "serving" && !worker.blocked)
          .length,
      });
    }
    if (verb !== "filter" && verb !== "prioritize") {
      return send(response, 404, {
        Error: `no extender verb at ${path}; kube-scheduler calls POST ${prefix}/filter and POST ${prefix}/prioritize`,
      });
    }
    if (request.method !== "POST") return send(response, 405, { Error: `use POST for ${verb}` });
    const body = await readBody(request, maxBodyBytes);
    if (body === undefined) {
      return send(response, 413, {
        Error: `the ${verb} request is larger than ${maxBodyBytes} bytes`,
      });
    }
    if (verb === "filter") return send(response, 200, extender.filter(body));
    const result = extender.prioritize(body);
    return result.ok
      ? send(response, 200, result.priorities)
      : send(response, 400, { Error: result.error });
  }

  return createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { Error: String(error) });
      else response.destroy();
    });
  });
}

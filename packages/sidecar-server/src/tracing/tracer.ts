import { trace } from "@opentelemetry/api";
import { SERVER_NAME, SERVER_VERSION } from "../server/server-info.js";

/** The sidecar's tracer; the API's proxy, so an SDK registered later is still used. */
export const tracer = trace.getTracer(SERVER_NAME, SERVER_VERSION);

import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import type { Lifecycle } from "./lifecycle.js";
import { LifecycleState } from "./lifecycle-state.js";

/** The empty service name asks about the whole server, as the gRPC health protocol defines. */
const OVERALL = "";

/**
 * `grpc.health.v1.Health` over a lifecycle. Service "" is SERVING only while the sidecar is
 * ready; a model name is SERVING only while the sidecar serves and that model is ready, since
 * a starting or draining sidecar takes no requests for any model. Other names are unknown.
 */
export function createHealthService(lifecycle: Lifecycle): ServiceImpl<typeof Health> {
  function statusOf(service: string): HealthCheckResponse_ServingStatus {
    if (service === OVERALL) {
      return lifecycle.ready
        ? HealthCheckResponse_ServingStatus.SERVING
        : HealthCheckResponse_ServingStatus.NOT_SERVING;
    }
    if (!lifecycle.hasModel(service)) return HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN;
    return lifecycle.state === LifecycleState.Serving && lifecycle.isModelReady(service)
      ? HealthCheckResponse_ServingStatus.SERVING
      : HealthCheckResponse_ServingStatus.NOT_SERVING;
  }

  return {
    check(request) {
      const status = statusOf(request.service);
      if (status === HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN) {
        throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
      }
      return { status };
    },

    // Sends the status at once and then each time it differs from the last one sent; ends when
    // the client goes away or the lifecycle stops. Between changes it sleeps until a lifecycle
    // change or the abort wakes it.
    async *watch(request, { signal }) {
      let changed = false;
      let wake: (() => void) | undefined;
      const unsubscribe = lifecycle.subscribe(() => {
        changed = true;
        wake?.();
      });
      // The abort itself lets go of the listener: once its client is gone, a stream held at
      // `yield` may never be pulled again, so its `finally` may never run.
      const release = () => {
        unsubscribe();
        signal.removeEventListener("abort", release);
        wake?.();
      };
      signal.addEventListener("abort", release);
      try {
        let sent: HealthCheckResponse_ServingStatus | undefined;
        while (!signal.aborted) {
          changed = false;
          const status = statusOf(request.service);
          if (status !== sent) {
            sent = status;
            yield { status };
          }
          if (lifecycle.state === LifecycleState.Stopped) return;
          // A change may have arrived while the consumer held us at `yield`.
          if (!changed) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
          }
        }
      } finally {
        release();
      }
    },
  };
}

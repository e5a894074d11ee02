/**
 * Kubernetes injects service-link variables for every Service of a pod's namespace into its
 * environment. A Service named `gpu-sidecar` therefore puts `GPU_SIDECAR_SERVICE_HOST`,
 * `GPU_SIDECAR_PORT_8000_TCP_ADDR` and the like next to the sidecar's own `GPU_SIDECAR_*`
 * settings. These names (and the shape of their values) are fixed by Kubernetes, so they are
 * recognised exactly and ignored, while any other unknown `GPU_SIDECAR_*` name stays an error.
 */
const IP_OR_HOST = String.raw`[0-9A-Za-z.:\[\]-]+`;
const PORT = String.raw`\d{1,5}`;
const PROTO = "(?:TCP|UDP|SCTP)";

const SERVICE_LINK_VARIABLES: readonly { readonly name: RegExp; readonly value: RegExp }[] = [
  { name: /^GPU_SIDECAR_SERVICE_HOST$/, value: new RegExp(`^${IP_OR_HOST}$`) },
  { name: /^GPU_SIDECAR_SERVICE_PORT(?:_[A-Z0-9_]+)?$/, value: new RegExp(`^${PORT}$`) },
  {
    name: /^GPU_SIDECAR_PORT(?:_\d{1,5}_(?:TCP|UDP|SCTP))?$/,
    value: new RegExp(`^(?:tcp|udp|sctp)://${IP_OR_HOST}:${PORT}$`),
  },
  { name: new RegExp(`^GPU_SIDECAR_PORT_\\d{1,5}_${PROTO}_PROTO$`), value: /^(?:tcp|udp|sctp)$/ },
  { name: new RegExp(`^GPU_SIDECAR_PORT_\\d{1,5}_${PROTO}_PORT$`), value: new RegExp(`^${PORT}$`) },
  {
    name: new RegExp(`^GPU_SIDECAR_PORT_\\d{1,5}_${PROTO}_ADDR$`),
    value: new RegExp(`^${IP_OR_HOST}$`),
  },
];

/** Whether `name=value` is a service-link variable Kubernetes injects for a Service `gpu-sidecar`. */
export function isKubernetesServiceVariable(name: string, value: string): boolean {
  return SERVICE_LINK_VARIABLES.some(
    (variable) => variable.name.test(name) && variable.value.test(value),
  );
}

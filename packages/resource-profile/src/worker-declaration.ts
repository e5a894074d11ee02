import { formatDecimal, toDecimal } from "./decimal.js";
import { toMemoryBytes } from "./memory-size.js";
import { checkResourceName } from "./resource-name.js";
import { ResourceProfile } from "./resource-profile.js";
import { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";
import {
  ExternalResourceKeySuffixes,
  externalResourceKey,
  WorkerConfigKeys,
} from "./worker-config-keys.js";

/** One `external-resource.<name>.*` block of a worker configuration. */
export interface ExternalResourceDeclaration {
  readonly name: string;
  /** Whole units per worker (Flink reads the amount as a long). */
  readonly amount: number;
  readonly driverFactoryClass?: string;
  /** The Kubernetes extended resource, e.g. `nvidia.com/gpu`. */
  readonly kubernetesConfigKey?: string;
  readonly yarnConfigKey?: string;
  /** `external-resource.<name>.param.<key>` entries, by `<key>`. */
  readonly params: Readonly<Record<string, string>>;
}

/** What a worker (Flink TaskManager) declares about its resources. */
export interface WorkerDeclaration {
  readonly numberOfTaskSlots: number;
  /** By resource name, in the order of `external-resources`. */
  readonly externalResources: ReadonlyMap<string, ExternalResourceDeclaration>;
  /** Everything the worker offers. */
  readonly totalProfile: ResourceProfile;
  /** `totalProfile.divide(numberOfTaskSlots)`: Flink's default slot profile, GPUs included. */
  readonly defaultSlotProfile: ResourceProfile;
}

type Config = Readonly<Record<string, string>>;

const EXTERNAL_RESOURCE_KEY = /^external-resource\.([^.]+)\.(.+)$/;

const OPTIONAL_SUFFIXES = [
  [ExternalResourceKeySuffixes.driverFactoryClass, "driverFactoryClass"],
  [ExternalResourceKeySuffixes.kubernetesConfigKey, "kubernetesConfigKey"],
  [ExternalResourceKeySuffixes.yarnConfigKey, "yarnConfigKey"],
] as const;

type OptionalField = (typeof OPTIONAL_SUFFIXES)[number][1];

/**
 * Reads a worker declaration from a flat Flink configuration (key → string, e.g. from
 * `parseConfigLines`). Defaults follow Flink where it has one that does not depend on the
 * process size: 1 slot, CPU cores = number of slots; unset memory is 0. Network memory is
 * `taskmanager.memory.network.min` when set, else `.max`, else 0: Flink derives it from a
 * fraction of the total memory, which a declaration does not carry, and `min` is what Flink
 * always guarantees. Unrelated keys are ignored. Every bad value throws naming its key:
 * `RP_ERR_INVALID_CONFIG` for structure and counts, `RP_ERR_INVALID_MEMORY_SIZE` and
 * `RP_ERR_INVALID_ARGUMENT` for sizes and decimals, `RP_ERR_UNKNOWN_RESOURCE` for keys of a
 * resource that `external-resources` does not list.
 */
export function parseWorkerDeclaration(config: Config): WorkerDeclaration {
  const slotsText = readValue(config, WorkerConfigKeys.numberOfTaskSlots);
  const numberOfTaskSlots =
    slotsText === undefined
      ? 1
      : parsePositiveWholeNumber(WorkerConfigKeys.numberOfTaskSlots, slotsText);
  const externalResources = readExternalResources(config);

  const builder = ResourceProfile.newBuilder()
    .setCpuCores(readCpuCores(config) ?? String(numberOfTaskSlots))
    .setTaskHeapMemory(readMemory(config, WorkerConfigKeys.taskHeapSize) ?? 0n)
    .setTaskOffHeapMemory(readMemory(config, WorkerConfigKeys.taskOffHeapSize) ?? 0n)
    .setManagedMemory(readMemory(config, WorkerConfigKeys.managedSize) ?? 0n)
    .setNetworkMemory(readNetworkMemory(config));
  for (const resource of externalResources.values()) {
    builder.setExtendedResource(resource.name, resource.amount);
  }
  const totalProfile = builder.build();
  return {
    numberOfTaskSlots,
    externalResources,
    totalProfile,
    defaultSlotProfile: totalProfile.divide(numberOfTaskSlots),
  };
}

function readExternalResources(config: Config): ReadonlyMap<string, ExternalResourceDeclaration> {
  const listKey = WorkerConfigKeys.externalResources;
  const listText = readValue(config, listKey) ?? "";
  const blocks = new Map<string, Map<string, string>>();
  // Flink writes `none` for an empty list.
  const entries = listText === "none" ? [] : listText.split(";");
  for (const entry of entries) {
    const name = entry.trim();
    if (name === "") continue;
    checkResourceName(listKey, name);
    if (blocks.has(name)) {
      throw invalidConfig(listKey, listText, `"${name}" is listed twice`);
    }
    blocks.set(name, new Map());
  }

  for (const key of Object.keys(config)) {
    const match = EXTERNAL_RESOURCE_KEY.exec(key);
    if (match === null) continue;
    const [, name = "", suffix = ""] = match;
    const block = blocks.get(name);
    if (block === undefined) {
      throw new ResourceProfileError(
        ResourceProfileErrorCode.UnknownResource,
        `${key}: resource "${name}" is not listed in ${listKey} (${JSON.stringify(listText)}); ` +
          "add it there or remove the key",
      );
    }
    block.set(suffix, readValue(config, key) ?? "");
  }

  return new Map([...blocks].map(([name, block]) => [name, declareResource(name, block)]));
}

function declareResource(
  name: string,
  block: ReadonlyMap<string, string>,
): ExternalResourceDeclaration {
  const { amount, paramPrefix } = ExternalResourceKeySuffixes;
  const amountKey = externalResourceKey(name, amount);
  const amountText = block.get(amount);
  if (amountText === undefined) {
    throw invalidConfig(
      amountKey,
      "",
      `"${name}" is listed in ${WorkerConfigKeys.externalResources} but has no amount; set it`,
    );
  }
  const params: Record<string, string> = {};
  const optional: { [field in OptionalField]?: string } = {};
  for (const [suffix, value] of block) {
    if (suffix === amount) continue;
    const key = externalResourceKey(name, suffix);
    if (suffix.startsWith(paramPrefix) && suffix.length > paramPrefix.length) {
      params[suffix.slice(paramPrefix.length)] = value;
      continue;
    }
    const field = OPTIONAL_SUFFIXES.find(([known]) => known === suffix)?.[1];
    if (field === undefined) {
      const known = [amount, ...OPTIONAL_SUFFIXES.map(([s]) => s), `${paramPrefix}<name>`];
      throw invalidConfig(
        key,
        value,
        `unknown key; the keys of a resource end in ${known.join(", ")}`,
      );
    }
    if (value === "") throw invalidConfig(key, value, "the value is empty");
    optional[field] = value;
  }
  return { name, amount: parsePositiveWholeNumber(amountKey, amountText), ...optional, params };
}

function readCpuCores(config: Config): string | undefined {
  const key = WorkerConfigKeys.cpuCores;
  const text = readValue(config, key);
  if (text === undefined) return undefined;
  const cores = toDecimal(key, text);
  if (cores.eq("0")) throw invalidConfig(key, text, "a worker needs more than 0 CPU cores");
  return formatDecimal(cores);
}

function readNetworkMemory(config: Config): bigint {
  const { networkMin, networkMax } = WorkerConfigKeys;
  const min = readMemory(config, networkMin);
  const max = readMemory(config, networkMax);
  if (min !== undefined && max !== undefined && min > max) {
    throw invalidConfig(
      networkMin,
      readValue(config, networkMin) ?? "",
      `it is larger than ${networkMax} (${readValue(config, networkMax)}); make min <= max`,
    );
  }
  return min ?? max ?? 0n;
}

function readMemory(config: Config, key: string): bigint | undefined {
  const text = readValue(config, key);
  return text === undefined ? undefined : toMemoryBytes(key, text);
}

/** The trimmed value of `key`, checking that JavaScript callers passed a string. */
function readValue(config: Config, key: string): string | undefined {
  if (!Object.hasOwn(config, key)) return undefined;
  const value: unknown = config[key];
  if (typeof value !== "string") {
    throw invalidConfig(key, String(value), "configuration values must be strings");
  }
  return value.trim();
}

/** Slot counts and resource amounts: Flink reads them as integers. */
function parsePositiveWholeNumber(key: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw invalidConfig(key, text, "it must be a positive whole number such as 1, 2 or 4");
  }
  return value;
}

function invalidConfig(key: string, value: string, reason: string): ResourceProfileError {
  return new ResourceProfileError(
    ResourceProfileErrorCode.InvalidConfig,
    `${key}: ${JSON.stringify(value)} is invalid: ${reason}`,
  );
}

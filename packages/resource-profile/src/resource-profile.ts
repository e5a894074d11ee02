import type Big from "big.js";
import { DECIMAL_ZERO, formatDecimal } from "./decimal.js";
import { formatMemorySize } from "./memory-size.js";
import type { ResourceAmounts } from "./resource-amounts.js";
import {
  applyResourceProfileSpec,
  createResourceProfileBuilder,
  type ResourceProfileBuilder,
  type ResourceProfileSpec,
} from "./resource-profile-builder.js";
import { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";
import { decodeResourceProfileJSON, type ResourceProfileJSON } from "./resource-profile-json.js";

type ProfileKind = "unknown" | "any" | "specified";

const MEMORY_FIELDS = [
  "taskHeapMemory",
  "taskOffHeapMemory",
  "managedMemory",
  "networkMemory",
] as const;

/**
 * The resources of a slot or a worker, with Apache Flink's `ResourceProfile` semantics: CPU
 * cores, task heap, task off-heap, managed and network memory (whole bytes), and named extended
 * resources such as `gpu` (exact decimals, so 0.1 + 0.2 GPU is 0.3 GPU). Immutable.
 *
 * Besides specified profiles there are `UNKNOWN` (a requirement that was not specified) and
 * `ANY` (matches every requirement); neither has field values.
 */
export class ResourceProfile {
  /** An unspecified requirement; merging or subtracting with it yields `UNKNOWN`. */
  static readonly UNKNOWN: ResourceProfile = new ResourceProfile("unknown", undefined);
  /** Matches and covers everything; merging, subtracting or multiplying it yields `ANY`. */
  static readonly ANY: ResourceProfile = new ResourceProfile("any", undefined);
  /** No resources at all. */
  static readonly ZERO: ResourceProfile = new ResourceProfile("specified", {
    cpuCores: DECIMAL_ZERO,
    taskHeapMemory: 0n,
    taskOffHeapMemory: 0n,
    managedMemory: 0n,
    networkMemory: 0n,
    extendedResources: new Map(),
  });

  readonly #kind: ProfileKind;
  readonly #amounts: ResourceAmounts | undefined;

  private constructor(kind: ProfileKind, amounts: ResourceAmounts | undefined) {
    this.#kind = kind;
    this.#amounts = amounts;
  }

  /** A builder whose unset fields are zero. */
  static newBuilder(): ResourceProfileBuilder {
    return createResourceProfileBuilder(ResourceProfile.#specified);
  }

  /** Reads what `toJSON` wrote (after `JSON.parse`), checking every key and value. */
  static fromJSON(json: unknown): ResourceProfile {
    const decoded = decodeResourceProfileJSON(json);
    if (decoded.kind === "unknown") return ResourceProfile.UNKNOWN;
    if (decoded.kind === "any") return ResourceProfile.ANY;
    try {
      return applyResourceProfileSpec(ResourceProfile.newBuilder(), decoded.spec).build();
    } catch (error) {
      const cause = ResourceProfileError.from(error);
      throw new ResourceProfileError(
        ResourceProfileErrorCode.InvalidJson,
        `invalid ResourceProfile JSON: ${cause.message}`,
        { cause },
      );
    }
  }

  /** Drops zero-valued extended resources so that equal amounts mean equal profiles. */
  static #specified(amounts: ResourceAmounts): ResourceProfile {
    const extendedResources = new Map(
      [...amounts.extendedResources]
        .filter(([, amount]) => !amount.eq(DECIMAL_ZERO))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    return new ResourceProfile("specified", { ...amounts, extendedResources });
  }

  /** CPU cores as exact decimal text, e.g. `"0.5"`. */
  getCpuCores(): string {
    return formatDecimal(this.#require("getCpuCores").cpuCores);
  }

  getTaskHeapMemory(): bigint {
    return this.#require("getTaskHeapMemory").taskHeapMemory;
  }

  getTaskOffHeapMemory(): bigint {
    return this.#require("getTaskOffHeapMemory").taskOffHeapMemory;
  }

  getManagedMemory(): bigint {
    return this.#require("getManagedMemory").managedMemory;
  }

  getNetworkMemory(): bigint {
    return this.#require("getNetworkMemory").networkMemory;
  }

  /** Task heap + task off-heap + managed memory, as Flink's `getOperatorsMemory`. */
  getOperatorsMemory(): bigint {
    const amounts = this.#require("getOperatorsMemory");
    return amounts.taskHeapMemory + amounts.taskOffHeapMemory + amounts.managedMemory;
  }

  /** Operators memory + network memory. */
  getTotalMemory(): bigint {
    const amounts = this.#require("getTotalMemory");
    return this.getOperatorsMemory() + amounts.networkMemory;
  }

  /** Non-zero extended resources by name (sorted), amounts as exact decimal text. */
  getExtendedResources(): ReadonlyMap<string, string> {
    const amounts = this.#require("getExtendedResources");
    return new Map(
      [...amounts.extendedResources].map(([name, amount]) => [name, formatDecimal(amount)]),
    );
  }

  /** One extended resource as exact decimal text; `"0"` when the profile has none of it. */
  getExtendedResource(name: string): string {
    const amount = this.#require("getExtendedResource").extendedResources.get(name);
    return amount === undefined ? "0" : formatDecimal(amount);
  }

  /**
   * Whether a slot with this profile matches the `required` one. This is Flink's EXACT match:
   * true when this is `ANY`, when both are equal, or when `required` is `UNKNOWN`; a larger
   * profile does not match (use `allFieldsNoLessThan` to test fitting). Throws on `UNKNOWN`.
   */
  isMatching(required: ResourceProfile): boolean {
    if (this.#kind === "unknown") {
      throw unsupported("isMatching", this);
    }
    return this.#kind === "any" || this.equals(required) || required.#kind === "unknown";
  }

  /**
   * Whether every field of this profile is at least the one of `other` (the fitting test).
   * `ANY` covers everything, everything covers `UNKNOWN`, and `UNKNOWN` covers only itself.
   */
  allFieldsNoLessThan(other: ResourceProfile): boolean {
    if (this.#kind === "any" || this.equals(other)) return true;
    if (this.#kind === "unknown") return false;
    if (other.#kind === "unknown") return true;
    if (other.#kind === "any") return false;
    return (
      firstShortfall(
        this.#require("allFieldsNoLessThan"),
        other.#require("allFieldsNoLessThan"),
      ) === undefined
    );
  }

  /** The field-wise sum. `ANY` wins over `UNKNOWN`, which wins over any specified profile. */
  merge(other: ResourceProfile): ResourceProfile {
    const special = combineSpecial(this, other);
    if (special !== undefined) return special;
    const a = this.#require("merge");
    const b = other.#require("merge");
    const extendedResources = new Map(a.extendedResources);
    for (const [name, amount] of b.extendedResources) {
      extendedResources.set(name, (extendedResources.get(name) ?? DECIMAL_ZERO).plus(amount));
    }
    return ResourceProfile.#specified({
      cpuCores: a.cpuCores.plus(b.cpuCores),
      taskHeapMemory: a.taskHeapMemory + b.taskHeapMemory,
      taskOffHeapMemory: a.taskOffHeapMemory + b.taskOffHeapMemory,
      managedMemory: a.managedMemory + b.managedMemory,
      networkMemory: a.networkMemory + b.networkMemory,
      extendedResources,
    });
  }

  /**
   * The field-wise difference; extended resources that reach zero disappear. Throws
   * `RP_ERR_INSUFFICIENT_RESOURCES` unless `this.allFieldsNoLessThan(other)`. `ANY` and
   * `UNKNOWN` propagate as in `merge`.
   */
  subtract(other: ResourceProfile): ResourceProfile {
    const special = combineSpecial(this, other);
    if (special !== undefined) return special;
    const a = this.#require("subtract");
    const b = other.#require("subtract");
    const shortfall = firstShortfall(a, b);
    if (shortfall !== undefined) {
      throw new ResourceProfileError(
        ResourceProfileErrorCode.InsufficientResources,
        `cannot subtract ${other} from ${this}: ${shortfall}; ` +
          "check allFieldsNoLessThan before subtracting",
      );
    }
    const extendedResources = new Map(a.extendedResources);
    for (const [name, amount] of b.extendedResources) {
      extendedResources.set(name, (extendedResources.get(name) ?? DECIMAL_ZERO).minus(amount));
    }
    return ResourceProfile.#specified({
      cpuCores: a.cpuCores.minus(b.cpuCores),
      taskHeapMemory: a.taskHeapMemory - b.taskHeapMemory,
      taskOffHeapMemory: a.taskOffHeapMemory - b.taskOffHeapMemory,
      managedMemory: a.managedMemory - b.managedMemory,
      networkMemory: a.networkMemory - b.networkMemory,
      extendedResources,
    });
  }

  /** Every field times `multiplier`, a non-negative integer; `ANY`/`UNKNOWN` stay themselves. */
  multiply(multiplier: number): ResourceProfile {
    checkCount("multiplier", multiplier, 0);
    if (this.#kind !== "specified") return this;
    const a = this.#require("multiply");
    const factor = BigInt(multiplier);
    return ResourceProfile.#specified({
      cpuCores: a.cpuCores.times(String(multiplier)),
      taskHeapMemory: a.taskHeapMemory * factor,
      taskOffHeapMemory: a.taskOffHeapMemory * factor,
      managedMemory: a.managedMemory * factor,
      networkMemory: a.networkMemory * factor,
      extendedResources: new Map(
        [...a.extendedResources].map(([name, amount]) => [name, amount.times(String(multiplier))]),
      ),
    });
  }

  /**
   * Every field divided by `divisor`, a positive integer, rounded as Flink's default slot
   * profile is: memory to whole bytes rounding down (`MemorySize.divide`), CPU cores and
   * extended resources exactly when the quotient has at most 16 decimals, else truncated to
   * 16 decimals (`Resource.divide`). So `divisor` slices never add up to more than the whole:
   * 1 GPU / 4 is exactly 0.25, 1 GPU / 3 is 0.3333333333333333.
   */
  divide(divisor: number): ResourceProfile {
    checkCount("divisor", divisor, 1);
    if (this.#kind !== "specified") return this;
    const a = this.#require("divide");
    const by = BigInt(divisor);
    return ResourceProfile.#specified({
      cpuCores: a.cpuCores.div(String(divisor)),
      taskHeapMemory: a.taskHeapMemory / by,
      taskOffHeapMemory: a.taskOffHeapMemory / by,
      managedMemory: a.managedMemory / by,
      networkMemory: a.networkMemory / by,
      extendedResources: new Map(
        [...a.extendedResources].map(([name, amount]) => [name, amount.div(String(divisor))]),
      ),
    });
  }

  /** Same kind and, for specified profiles, the same amounts in every field. */
  equals(other: ResourceProfile): boolean {
    if (this === other) return true;
    if (this.#kind !== other.#kind) return false;
    const a = this.#amounts;
    const b = other.#amounts;
    if (a === undefined || b === undefined) return a === b;
    return (
      a.cpuCores.eq(b.cpuCores) &&
      MEMORY_FIELDS.every((field) => a[field] === b[field]) &&
      a.extendedResources.size === b.extendedResources.size &&
      [...a.extendedResources].every(([name, amount]) => {
        const theirs = b.extendedResources.get(name);
        return theirs !== undefined && amount.eq(theirs);
      })
    );
  }

  /** e.g. `ResourceProfile{cpuCores=1, taskHeapMemory=512 mb, ..., gpu=0.5}`. */
  toString(): string {
    if (this.#kind === "unknown") return "ResourceProfile{UNKNOWN}";
    if (this.#kind === "any") return "ResourceProfile{ANY}";
    const a = this.#require("toString");
    const fields = [
      `cpuCores=${formatDecimal(a.cpuCores)}`,
      ...MEMORY_FIELDS.map((field) => `${field}=${formatMemorySize(a[field])}`),
      ...[...a.extendedResources].map(([name, amount]) => `${name}=${formatDecimal(amount)}`),
    ];
    return `ResourceProfile{${fields.join(", ")}}`;
  }

  /** A JSON-safe form with exact decimal strings; `ResourceProfile.fromJSON` reads it back. */
  toJSON(): ResourceProfileJSON {
    if (this.#kind === "unknown") return { kind: "unknown" };
    if (this.#kind === "any") return { kind: "any" };
    const a = this.#require("toJSON");
    return {
      kind: "specified",
      cpuCores: formatDecimal(a.cpuCores),
      taskHeapMemory: a.taskHeapMemory.toString(),
      taskOffHeapMemory: a.taskOffHeapMemory.toString(),
      managedMemory: a.managedMemory.toString(),
      networkMemory: a.networkMemory.toString(),
      extendedResources: Object.fromEntries(
        [...a.extendedResources].map(([name, amount]) => [name, formatDecimal(amount)]),
      ),
    };
  }

  #require(operation: string): ResourceAmounts {
    if (this.#amounts === undefined) throw unsupported(operation, this);
    return this.#amounts;
  }
}

/** A specified profile from one object: `createResourceProfile({ cpuCores: 1, ... })`. */
export function createResourceProfile(spec: ResourceProfileSpec): ResourceProfile {
  return applyResourceProfileSpec(ResourceProfile.newBuilder(), spec).build();
}

/** Flink's order of precedence for the special profiles in merge and subtract. */
function combineSpecial(a: ResourceProfile, b: ResourceProfile): ResourceProfile | undefined {
  if (a.equals(ResourceProfile.ANY) || b.equals(ResourceProfile.ANY)) return ResourceProfile.ANY;
  if (a.equals(ResourceProfile.UNKNOWN) || b.equals(ResourceProfile.UNKNOWN)) {
    return ResourceProfile.UNKNOWN;
  }
  return undefined;
}

/** The first field where `have` is below `need`, described for an error message. */
function firstShortfall(have: ResourceAmounts, need: ResourceAmounts): string | undefined {
  if (have.cpuCores.lt(need.cpuCores)) {
    return `cpuCores ${formatDecimal(have.cpuCores)} < ${formatDecimal(need.cpuCores)}`;
  }
  for (const field of MEMORY_FIELDS) {
    if (have[field] < need[field]) return `${field} ${have[field]} < ${need[field]} bytes`;
  }
  for (const [name, amount] of need.extendedResources) {
    const mine: Big = have.extendedResources.get(name) ?? DECIMAL_ZERO;
    if (mine.lt(amount)) return `${name} ${formatDecimal(mine)} < ${formatDecimal(amount)}`;
  }
  return undefined;
}

function checkCount(field: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ResourceProfileError(
      ResourceProfileErrorCode.InvalidArgument,
      `${field}: ${String(value)} is not an integer >= ${min}`,
    );
  }
}

function unsupported(operation: string, profile: ResourceProfile): ResourceProfileError {
  return new ResourceProfileError(
    ResourceProfileErrorCode.UnsupportedOperation,
    `${operation} is not supported on ${profile}, which has no field values; ` +
      "compare with ResourceProfile.UNKNOWN / ResourceProfile.ANY before using it",
  );
}

import type { SqlType } from "./sql-type.js";

/** A column of a model's INPUT or OUTPUT. */
export interface ModelColumn {
  readonly name: string;
  readonly type: SqlType;
  readonly comment?: string;
}

/** What CREATE MODEL declares; also what the catalog stores. */
export interface ModelDefinition {
  readonly name: string;
  readonly inputs: readonly ModelColumn[];
  readonly outputs: readonly ModelColumn[];
  readonly comment?: string;
  /** The WITH (...) options in the order written. */
  readonly options: Readonly<Record<string, string>>;
}

/** Every model statement of Flink SQL, parsed. */
export type ModelStatement =
  | {
      readonly kind: "create";
      readonly temporary: boolean;
      readonly ifNotExists: boolean;
      readonly definition: ModelDefinition;
    }
  | {
      readonly kind: "drop";
      readonly temporary: boolean;
      readonly ifExists: boolean;
      readonly name: string;
    }
  | {
      readonly kind: "rename";
      readonly ifExists: boolean;
      readonly name: string;
      readonly newName: string;
    }
  | {
      readonly kind: "set";
      readonly ifExists: boolean;
      readonly name: string;
      readonly options: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: "reset";
      readonly ifExists: boolean;
      readonly name: string;
      readonly keys: readonly string[];
    }
  | { readonly kind: "show-models"; readonly like?: string }
  | { readonly kind: "show-create"; readonly name: string }
  | { readonly kind: "describe"; readonly name: string };

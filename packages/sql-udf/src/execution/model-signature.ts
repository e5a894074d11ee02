import type { ModelMetadata, TensorMetadata } from "@gpu-sidecar/async-inference";
import type { Datatype } from "@gpu-sidecar/sidecar-core";
import type { ModelColumn, ModelDefinition } from "../sql/model-statement.js";
import { kserveDatatype, type SqlType, scalarTypeOf } from "../sql/sql-type.js";
import { listOrNone, SqlError, SqlErrorCode } from "../sql-error.js";

/** A DDL column bound to the served tensor it travels as. */
export interface BoundColumn {
  readonly column: ModelColumn;
  readonly datatype: Datatype;
  /** The tensor's name on the wire. */
  readonly wireName: string;
  /** Elements per row of an ARRAY column when the served shape fixes it. */
  readonly width: number | undefined;
}

export interface BoundSignature {
  readonly inputs: readonly BoundColumn[];
  readonly outputs: readonly BoundColumn[];
}

function describeServed(tensor: TensorMetadata): string {
  return `${tensor.name} ${tensor.datatype} [${tensor.shape.join(", ")}]`;
}

/** The served shape without its batch dimension. */
function rowShape(tensor: TensorMetadata): readonly number[] {
  return tensor.shape.slice(1);
}

function bind(
  model: string,
  role: "INPUT" | "OUTPUT",
  column: ModelColumn,
  served: readonly TensorMetadata[],
  wireName: (column: string, served: string) => string,
): BoundColumn {
  const tensor = served.find((t) => t.name.toLowerCase() === column.name.toLowerCase());
  if (tensor === undefined) {
    throw new SqlError(
      SqlErrorCode.TypeMismatch,
      `model \`${model}\`: ${role} column \`${column.name}\` has no served ${role === "INPUT" ? "input" : "output"} of that name; ` +
        `the server has: ${listOrNone(served.map(describeServed))}. Rename the column in the DDL`,
    );
  }
  const datatype = kserveDatatype(column.type);
  const perRow = rowShape(tensor);
  const fixed = perRow.every((dim) => dim > 0) ? perRow.reduce((a, b) => a * b, 1) : undefined;
  const fits =
    datatype === tensor.datatype &&
    (column.type.kind === "array" ? perRow.length >= 1 && fixed !== 1 : fixed === 1);
  if (!fits) {
    throw new SqlError(
      SqlErrorCode.TypeMismatch,
      `model \`${model}\`: ${role} column \`${column.name}\` is ${column.type.text} (KServe ${datatype}${column.type.kind === "array" ? ", one list per row" : ", one value per row"}), ` +
        `but the server has ${describeServed(tensor)}${suggest(tensor)}. Fix the DDL's type; no row was sent`,
    );
  }
  return {
    column,
    datatype,
    wireName: wireName(column.name, tensor.name),
    width: column.type.kind === "array" ? fixed : 1,
  };
}

function suggest(tensor: TensorMetadata): string {
  const scalar = scalarTypeOf(tensor.datatype);
  if (scalar === undefined) return "";
  const perRow = rowShape(tensor);
  const one = perRow.length === 0 || perRow.every((dim) => dim === 1);
  return ` (the DDL type for it is ${one ? scalar : `ARRAY<${scalar}>`})`;
}

/**
 * Binds a model's DDL to what the server serves, before any row is sent: every INPUT and
 * OUTPUT column must name a served tensor (case-insensitive, as Flink upper-cases names) whose
 * datatype is Flink's mapping of the column type and whose shape fits (a list per row for
 * ARRAY, one value per row otherwise). A DDL without INPUT/OUTPUT takes the served signature.
 */
export function bindSignature(
  definition: ModelDefinition,
  metadata: ModelMetadata,
  wireName: (column: string, served: string) => string,
): BoundSignature {
  const derive = (tensor: TensorMetadata): ModelColumn => {
    const scalar = scalarTypeOf(tensor.datatype);
    if (scalar === undefined) {
      throw new SqlError(
        SqlErrorCode.TypeMismatch,
        `model \`${definition.name}\`: served tensor ${describeServed(tensor)} has no Flink SQL type; declare INPUT (...) OUTPUT (...) in the DDL`,
      );
    }
    const perRow = rowShape(tensor);
    const type: SqlType =
      perRow.length === 0 || perRow.every((dim) => dim === 1)
        ? { kind: "scalar", name: scalar, text: scalar }
        : {
            kind: "array",
            element: { kind: "scalar", name: scalar, text: scalar },
            text: `ARRAY<${scalar}>`,
          };
    return { name: tensor.name, type };
  };
  const inputs = definition.inputs.length > 0 ? definition.inputs : metadata.inputs.map(derive);
  const outputs = definition.outputs.length > 0 ? definition.outputs : metadata.outputs.map(derive);
  return {
    inputs: inputs.map((c) => bind(definition.name, "INPUT", c, metadata.inputs, wireName)),
    outputs: outputs.map((c) => bind(definition.name, "OUTPUT", c, metadata.outputs, wireName)),
  };
}

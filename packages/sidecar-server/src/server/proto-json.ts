import {
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type MessageShape,
  ScalarType,
  toJson,
} from "@bufbuild/protobuf";

const SIXTY_FOUR_BIT: ReadonlySet<ScalarType> = new Set([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);

function numeric(value: JsonValue): JsonValue {
  return typeof value === "string" ? Number(value) : value;
}

function fix(field: DescField, value: JsonValue): JsonValue {
  switch (field.fieldKind) {
    case "scalar":
      return SIXTY_FOUR_BIT.has(field.scalar) ? numeric(value) : value;
    case "message":
      return withNumbers(field.message, value as JsonObject);
    case "list":
      if (field.listKind === "message") {
        const message = field.message;
        return (value as JsonObject[]).map((item) => withNumbers(message, item));
      }
      if (field.listKind === "scalar" && SIXTY_FOUR_BIT.has(field.scalar)) {
        return (value as JsonValue[]).map(numeric);
      }
      return value;
    case "map": {
      const entries = Object.entries(value as JsonObject);
      if (field.mapKind === "message") {
        const message = field.message;
        return Object.fromEntries(
          entries.map(([key, item]) => [key, withNumbers(message, item as JsonObject)]),
        );
      }
      if (field.mapKind === "scalar" && SIXTY_FOUR_BIT.has(field.scalar)) {
        return Object.fromEntries(entries.map(([key, item]) => [key, numeric(item)]));
      }
      return value;
    }
    default:
      return value;
  }
}

function withNumbers(desc: DescMessage, json: JsonObject): JsonObject {
  const out: JsonObject = { ...json };
  for (const field of desc.fields) {
    const value = json[field.name];
    if (value !== undefined && value !== null) out[field.name] = fix(field, value);
  }
  return out;
}

/**
 * A message in the JSON Triton's HTTP API answers with: proto field names, every field present
 * (defaults included), enums by name, and 64-bit integers as JSON numbers rather than the
 * strings of the canonical protobuf JSON mapping (tools such as perf_analyzer read `dims` and
 * `max_queue_delay_microseconds` as numbers).
 */
export function tritonJson<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): JsonObject {
  const json = toJson(schema, message, { useProtoFieldName: true, alwaysEmitImplicit: true });
  return withNumbers(schema, json as JsonObject);
}

import { fileURLToPath } from "node:url";
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { type AnyDefinition, loadSync, type MessageTypeDefinition } from "@grpc/proto-loader";
import { describe, expect, it } from "vitest";
import {
  DataTypeSchema,
  GRPCInferenceService,
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
  InferBatchStatisticsSchema,
  InferParameterSchema,
  InferResponseStatisticsSchema,
  InferStatisticsSchema,
  InferTensorContentsSchema,
  MemoryUsageSchema,
  ModelConfigRequestSchema,
  ModelConfigResponseSchema,
  ModelConfigSchema,
  ModelDynamicBatchingSchema,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  ModelInput_FormatSchema,
  ModelInputSchema,
  ModelInstanceGroup_KindSchema,
  ModelInstanceGroupSchema,
  ModelMetadataRequestSchema,
  ModelMetadataResponse_TensorMetadataSchema,
  ModelMetadataResponseSchema,
  ModelOutputSchema,
  ModelParameterSchema,
  ModelQueuePolicy_TimeoutActionSchema,
  ModelQueuePolicySchema,
  ModelReadyRequestSchema,
  ModelReadyResponseSchema,
  ModelRepositoryParameterSchema,
  ModelStatisticsRequestSchema,
  ModelStatisticsResponseSchema,
  ModelStatisticsSchema,
  ModelStreamInferResponseSchema,
  ModelTensorReshapeSchema,
  ModelVersionPolicy_LatestSchema,
  ModelVersionPolicy_SpecificSchema,
  ModelVersionPolicySchema,
  RepositoryIndexRequestSchema,
  RepositoryIndexResponse_ModelIndexSchema,
  RepositoryIndexResponseSchema,
  RepositoryModelLoadRequestSchema,
  RepositoryModelUnloadRequestSchema,
  ServerLiveResponseSchema,
  ServerMetadataResponseSchema,
  ServerReadyResponseSchema,
  StatisticDurationSchema,
} from "../src/rpc/index.js";

// Field numbers and wire types below come from the public Open Inference Protocol (KServe v2)
// and Triton grpc_service.proto, and the gRPC health protocol — never from our own .proto.

const { Varint, Bit64, LengthDelimited: Len } = WireType;

interface WireField {
  readonly no: number;
  readonly wireType: WireType;
  readonly data: Uint8Array;
}

/** The fields of one message as they sit on the wire, read with no schema at all. */
function wireFields(bytes: Uint8Array): WireField[] {
  const reader = new BinaryReader(bytes);
  const fields: WireField[] = [];
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    const data = wireType === Len ? reader.bytes() : reader.skip(wireType, no);
    fields.push({ no, wireType, data });
  }
  return fields;
}

function numbers(fields: readonly WireField[]): number[] {
  return [...new Set(fields.map((field) => field.no))].sort((a, b) => a - b);
}

/** Every occurrence of field `no`, each required to carry `wireType`. */
function all(fields: readonly WireField[], no: number, wireType: WireType): Uint8Array[] {
  const found = fields.filter((field) => field.no === no);
  for (const field of found) expect(field.wireType, `wire type of field ${no}`).toBe(wireType);
  return found.map((field) => field.data);
}

function only(fields: readonly WireField[], no: number, wireType: WireType): Uint8Array {
  const found = all(fields, no, wireType);
  expect(found, `occurrences of field ${no}`).toHaveLength(1);
  return found[0] as Uint8Array;
}

const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** Reads a packed repeated scalar, or a single varint / fixed value with one element. */
function scalars<T>(data: Uint8Array, read: (reader: BinaryReader) => T): T[] {
  const reader = new BinaryReader(data);
  const values: T[] = [];
  while (reader.pos < reader.len) values.push(read(reader));
  return values;
}

const int64 = (reader: BinaryReader) => BigInt(reader.int64());
const uint64 = (reader: BinaryReader) => BigInt(reader.uint64());

const raw = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

const inferRequest = create(ModelInferRequestSchema, {
  modelName: "fraud",
  modelVersion: "2",
  id: "req-7",
  parameters: { priority: { parameterChoice: { case: "int64Param", value: 3n } } },
  inputs: [
    {
      name: "INPUT0",
      datatype: "FP32",
      shape: [2n, 3n],
      parameters: { region: { parameterChoice: { case: "stringParam", value: "shm0" } } },
      contents: { fp32Contents: [1.5, -2] },
    },
  ],
  outputs: [
    {
      name: "OUTPUT0",
      parameters: { binary_data: { parameterChoice: { case: "boolParam", value: true } } },
    },
  ],
  rawInputContents: [raw],
});

const inferResponse = create(ModelInferResponseSchema, {
  modelName: "fraud",
  modelVersion: "2",
  id: "req-7",
  parameters: { sequence_end: { parameterChoice: { case: "boolParam", value: true } } },
  outputs: [
    {
      name: "OUTPUT0",
      datatype: "INT64",
      shape: [2n],
      parameters: { binary_data_size: { parameterChoice: { case: "uint64Param", value: 16n } } },
      contents: { int64Contents: [-1n, 9n] },
    },
  ],
  rawOutputContents: [raw],
});

describe("Open Inference Protocol wire format", () => {
  it("puts every ModelInferRequest field under its public number and wire type", () => {
    const top = wireFields(toBinary(ModelInferRequestSchema, inferRequest));
    expect(numbers(top)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(text(only(top, 1, Len))).toBe("fraud");
    expect(text(only(top, 2, Len))).toBe("2");
    expect(text(only(top, 3, Len))).toBe("req-7");

    // A map entry is a message with key = 1 and value = 2.
    const parameter = wireFields(only(top, 4, Len));
    expect(text(only(parameter, 1, Len))).toBe("priority");
    expect(scalars(only(wireFields(only(parameter, 2, Len)), 2, Varint), int64)).toEqual([3n]);

    const input = wireFields(only(top, 5, Len));
    expect(numbers(input)).toEqual([1, 2, 3, 4, 5]);
    expect(text(only(input, 1, Len))).toBe("INPUT0");
    expect(text(only(input, 2, Len))).toBe("FP32");
    expect(scalars(only(input, 3, Len), int64)).toEqual([2n, 3n]);
    const inputParameter = wireFields(only(input, 4, Len));
    expect(text(only(inputParameter, 1, Len))).toBe("region");
    expect(text(only(wireFields(only(inputParameter, 2, Len)), 3, Len))).toBe("shm0");
    const contents = wireFields(only(input, 5, Len));
    expect(scalars(only(contents, 6, Len), (reader) => reader.float())).toEqual([1.5, -2]);

    const output = wireFields(only(top, 6, Len));
    expect(numbers(output)).toEqual([1, 2]);
    expect(text(only(output, 1, Len))).toBe("OUTPUT0");
    const outputParameter = wireFields(only(output, 2, Len));
    expect(text(only(outputParameter, 1, Len))).toBe("binary_data");
    expect(scalars(only(wireFields(only(outputParameter, 2, Len)), 1, Varint), int64)).toEqual([
      1n,
    ]);

    expect(only(top, 7, Len)).toEqual(raw);
  });

  it("puts every ModelInferResponse field under its public number and wire type", () => {
    const top = wireFields(toBinary(ModelInferResponseSchema, inferResponse));
    expect(numbers(top)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(text(only(top, 1, Len))).toBe("fraud");
    expect(text(only(top, 2, Len))).toBe("2");
    expect(text(only(top, 3, Len))).toBe("req-7");
    expect(text(only(wireFields(only(top, 4, Len)), 1, Len))).toBe("sequence_end");

    const output = wireFields(only(top, 5, Len));
    expect(numbers(output)).toEqual([1, 2, 3, 4, 5]);
    expect(text(only(output, 1, Len))).toBe("OUTPUT0");
    expect(text(only(output, 2, Len))).toBe("INT64");
    expect(scalars(only(output, 3, Len), int64)).toEqual([2n]);
    const parameter = wireFields(only(output, 4, Len));
    expect(scalars(only(wireFields(only(parameter, 2, Len)), 5, Varint), uint64)).toEqual([16n]);
    expect(scalars(only(wireFields(only(output, 5, Len)), 3, Len), int64)).toEqual([-1n, 9n]);

    expect(only(top, 6, Len)).toEqual(raw);
  });

  it("frames a stream answer as error_message = 1, infer_response = 2", () => {
    const top = wireFields(
      toBinary(
        ModelStreamInferResponseSchema,
        create(ModelStreamInferResponseSchema, {
          errorMessage: "queue full",
          inferResponse: { id: "req-7" },
        }),
      ),
    );
    expect(text(only(top, 1, Len))).toBe("queue full");
    expect(text(only(wireFields(only(top, 2, Len)), 3, Len))).toBe("req-7");
  });

  it.each([
    { case: "boolParam", value: true, no: 1, wireType: Varint },
    { case: "int64Param", value: -5n, no: 2, wireType: Varint },
    { case: "stringParam", value: "x", no: 3, wireType: Len },
    { case: "doubleParam", value: 0.25, no: 4, wireType: Bit64 },
    { case: "uint64Param", value: 2n ** 63n, no: 5, wireType: Varint },
  ] as const)("encodes InferParameter.$case as field $no", ({ no, wireType, ...choice }) => {
    const bytes = toBinary(
      InferParameterSchema,
      create(InferParameterSchema, { parameterChoice: choice }),
    );
    const fields = wireFields(bytes);
    expect(numbers(fields)).toEqual([no]);
    only(fields, no, wireType);
  });

  it("puts each typed InferTensorContents field under its public number, packed", () => {
    const top = wireFields(
      toBinary(
        InferTensorContentsSchema,
        create(InferTensorContentsSchema, {
          boolContents: [true, false],
          intContents: [-1, 7],
          int64Contents: [-(2n ** 40n)],
          uintContents: [4_000_000_000],
          uint64Contents: [2n ** 63n],
          fp32Contents: [0.5, -2],
          fp64Contents: [Math.PI],
          bytesContents: [new Uint8Array([104, 105]), new Uint8Array([])],
        }),
      ),
    );
    expect(numbers(top)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(scalars(only(top, 1, Len), (reader) => reader.bool())).toEqual([true, false]);
    expect(scalars(only(top, 2, Len), (reader) => reader.int32())).toEqual([-1, 7]);
    expect(scalars(only(top, 3, Len), int64)).toEqual([-(2n ** 40n)]);
    expect(scalars(only(top, 4, Len), (reader) => reader.uint32())).toEqual([4_000_000_000]);
    expect(scalars(only(top, 5, Len), uint64)).toEqual([2n ** 63n]);
    expect(only(top, 6, Len)).toHaveLength(8);
    expect(scalars(only(top, 6, Len), (reader) => reader.float())).toEqual([0.5, -2]);
    expect(scalars(only(top, 7, Len), (reader) => reader.double())).toEqual([Math.PI]);
    expect(all(top, 8, Len).map(text)).toEqual(["hi", ""]);
  });

  it("encodes the health request and response as service = 1 and status = 1", () => {
    const request = wireFields(
      toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: "fraud" })),
    );
    expect(text(only(request, 1, Len))).toBe("fraud");
    const statuses = [
      [HealthCheckResponse_ServingStatus.SERVING, 1n],
      [HealthCheckResponse_ServingStatus.NOT_SERVING, 2n],
      [HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN, 3n],
    ] as const;
    for (const [status, wire] of statuses) {
      const response = wireFields(
        toBinary(HealthCheckResponseSchema, create(HealthCheckResponseSchema, { status })),
      );
      expect(scalars(only(response, 1, Varint), uint64)).toEqual([wire]);
    }
    expect(HealthCheckResponse_ServingStatus.UNKNOWN).toBe(0);
  });
});

describe("Open Inference Protocol schema", () => {
  const fieldNumbers = (schema: DescMessage) =>
    Object.fromEntries(schema.fields.map((field) => [field.name, field.number]));

  // The messages the wire walks above do not cover, field by field.
  it.each([
    [ServerLiveResponseSchema, { live: 1 }],
    [ServerReadyResponseSchema, { ready: 1 }],
    [ModelReadyRequestSchema, { name: 1, version: 2 }],
    [ModelReadyResponseSchema, { ready: 1 }],
    [ServerMetadataResponseSchema, { name: 1, version: 2, extensions: 3 }],
    [ModelMetadataRequestSchema, { name: 1, version: 2 }],
    [ModelMetadataResponseSchema, { name: 1, versions: 2, platform: 3, inputs: 4, outputs: 5 }],
    [ModelMetadataResponse_TensorMetadataSchema, { name: 1, datatype: 2, shape: 3 }],
    [ModelStatisticsRequestSchema, { name: 1, version: 2 }],
    [StatisticDurationSchema, { count: 1, ns: 2 }],
    [
      InferStatisticsSchema,
      {
        success: 1,
        fail: 2,
        queue: 3,
        compute_input: 4,
        compute_infer: 5,
        compute_output: 6,
        cache_hit: 7,
        cache_miss: 8,
      },
    ],
    [
      InferResponseStatisticsSchema,
      { compute_infer: 1, compute_output: 2, success: 3, fail: 4, empty_response: 5 },
    ],
    [
      InferBatchStatisticsSchema,
      { batch_size: 1, compute_input: 2, compute_infer: 3, compute_output: 4 },
    ],
    [MemoryUsageSchema, { type: 1, id: 2, byte_size: 3 }],
    [
      ModelStatisticsSchema,
      {
        name: 1,
        version: 2,
        last_inference: 3,
        inference_count: 4,
        execution_count: 5,
        inference_stats: 6,
        batch_stats: 7,
        memory_usage: 8,
        response_stats: 9,
      },
    ],
    [ModelStatisticsResponseSchema, { model_stats: 1 }],
    [
      ModelRepositoryParameterSchema,
      { bool_param: 1, int64_param: 2, string_param: 3, bytes_param: 4 },
    ],
    [RepositoryIndexRequestSchema, { repository_name: 1, ready: 2 }],
    [RepositoryIndexResponseSchema, { models: 1 }],
    [RepositoryIndexResponse_ModelIndexSchema, { name: 1, version: 2, state: 3, reason: 4 }],
    [RepositoryModelLoadRequestSchema, { repository_name: 1, model_name: 2, parameters: 3 }],
    [RepositoryModelUnloadRequestSchema, { repository_name: 1, model_name: 2, parameters: 3 }],
    // Triton's model_config.proto, the part ModelConfig answers with.
    [ModelConfigRequestSchema, { name: 1, version: 2 }],
    [ModelConfigResponseSchema, { config: 1 }],
    [
      ModelConfigSchema,
      {
        name: 1,
        platform: 2,
        backend: 17,
        runtime: 25,
        version_policy: 3,
        max_batch_size: 4,
        input: 5,
        output: 6,
        dynamic_batching: 11,
        instance_group: 7,
        default_model_filename: 8,
        cc_model_filenames: 9,
        metric_tags: 10,
        parameters: 14,
      },
    ],
    [
      ModelInputSchema,
      {
        name: 1,
        data_type: 2,
        format: 3,
        dims: 4,
        reshape: 5,
        is_shape_tensor: 6,
        allow_ragged_batch: 7,
        optional: 8,
        is_non_linear_format_io: 9,
      },
    ],
    [
      ModelOutputSchema,
      {
        name: 1,
        data_type: 2,
        dims: 3,
        reshape: 5,
        label_filename: 4,
        is_shape_tensor: 6,
        is_non_linear_format_io: 7,
      },
    ],
    [ModelTensorReshapeSchema, { shape: 1 }],
    [
      ModelInstanceGroupSchema,
      { name: 1, kind: 4, count: 2, gpus: 3, profile: 5, passive: 7, host_policy: 9 },
    ],
    [ModelVersionPolicySchema, { latest: 1, all: 2, specific: 3 }],
    [ModelVersionPolicy_LatestSchema, { num_versions: 1 }],
    [ModelVersionPolicy_SpecificSchema, { versions: 1 }],
    [
      ModelDynamicBatchingSchema,
      {
        preferred_batch_size: 1,
        max_queue_delay_microseconds: 2,
        preserve_ordering: 3,
        priority_levels: 4,
        default_priority_level: 5,
        default_queue_policy: 6,
        priority_queue_policy: 7,
      },
    ],
    [
      ModelQueuePolicySchema,
      {
        timeout_action: 1,
        default_timeout_microseconds: 2,
        allow_timeout_override: 3,
        max_queue_size: 4,
      },
    ],
    [ModelParameterSchema, { string_value: 1 }],
  ] as const)("numbers %s as the public spec does", (schema, expected) => {
    expect(fieldNumbers(schema)).toEqual(expected);
  });

  it.each([
    [
      DataTypeSchema,
      {
        TYPE_INVALID: 0,
        TYPE_BOOL: 1,
        TYPE_UINT8: 2,
        TYPE_UINT16: 3,
        TYPE_UINT32: 4,
        TYPE_UINT64: 5,
        TYPE_INT8: 6,
        TYPE_INT16: 7,
        TYPE_INT32: 8,
        TYPE_INT64: 9,
        TYPE_FP16: 10,
        TYPE_FP32: 11,
        TYPE_FP64: 12,
        TYPE_STRING: 13,
        TYPE_BF16: 14,
      },
    ],
    [ModelInstanceGroup_KindSchema, { KIND_AUTO: 0, KIND_GPU: 1, KIND_CPU: 2, KIND_MODEL: 3 }],
    [ModelInput_FormatSchema, { FORMAT_NONE: 0, FORMAT_NHWC: 1, FORMAT_NCHW: 2 }],
    [ModelQueuePolicy_TimeoutActionSchema, { REJECT: 0, DELAY: 1 }],
  ] as const)(
    "numbers the values of %s as Triton's model_config.proto does",
    (schema, expected) => {
      expect(Object.fromEntries(schema.values.map((value) => [value.name, value.number]))).toEqual(
        expected,
      );
    },
  );

  it("puts a ModelConfig's nested fields under Triton's numbers on the wire", () => {
    const top = wireFields(
      toBinary(
        ModelConfigResponseSchema,
        create(ModelConfigResponseSchema, {
          config: {
            name: "fraud",
            backend: "onnxruntime",
            maxBatchSize: 64,
            input: [{ name: "features", dataType: 11, dims: [16n] }],
            schedulingChoice: {
              case: "dynamicBatching",
              value: { maxQueueDelayMicroseconds: 500n, defaultQueuePolicy: { maxQueueSize: 9 } },
            },
            instanceGroup: [{ kind: 2, count: 2 }],
            parameters: { k: { stringValue: "v" } },
          },
        }),
      ),
    );
    const config = wireFields(only(top, 1, Len));
    expect(numbers(config)).toEqual([1, 4, 5, 7, 11, 14, 17]);
    expect(text(only(config, 17, Len))).toBe("onnxruntime");
    expect(scalars(only(config, 4, Varint), int64)).toEqual([64n]);
    const input = wireFields(only(config, 5, Len));
    expect(scalars(only(input, 2, Varint), int64)).toEqual([11n]);
    expect(scalars(only(input, 4, Len), int64)).toEqual([16n]);
    const batching = wireFields(only(config, 11, Len));
    expect(scalars(only(batching, 2, Varint), uint64)).toEqual([500n]);
    expect(scalars(only(wireFields(only(batching, 6, Len)), 4, Varint), uint64)).toEqual([9n]);
    const group = wireFields(only(config, 7, Len));
    expect(scalars(only(group, 4, Varint), int64)).toEqual([2n]);
    expect(scalars(only(group, 2, Varint), int64)).toEqual([2n]);
    const parameter = wireFields(only(config, 14, Len));
    expect(text(only(wireFields(only(parameter, 2, Len)), 1, Len))).toBe("v");
  });

  it("names the services and their streaming shapes as Triton and gRPC health do", () => {
    const shape = (methods: readonly { name: string; methodKind: string }[]) =>
      Object.fromEntries(methods.map((method) => [method.name, method.methodKind]));
    expect(GRPCInferenceService.typeName).toBe("inference.GRPCInferenceService");
    expect(shape(GRPCInferenceService.methods)).toEqual({
      ServerLive: "unary",
      ServerReady: "unary",
      ModelReady: "unary",
      ServerMetadata: "unary",
      ModelMetadata: "unary",
      ModelConfig: "unary",
      ModelInfer: "unary",
      ModelStreamInfer: "bidi_streaming",
      ModelStatistics: "unary",
      RepositoryIndex: "unary",
      RepositoryModelLoad: "unary",
      RepositoryModelUnload: "unary",
    });
    expect(Health.typeName).toBe("grpc.health.v1.Health");
    expect(shape(Health.methods)).toEqual({ Check: "unary", Watch: "server_streaming" });
  });
});

describe("an independent implementation (@grpc/proto-loader, protobufjs) reading the same .proto", () => {
  const definition = loadSync(["inference/grpc_service.proto", "grpc/health/v1/health.proto"], {
    includeDirs: [fileURLToPath(new URL("../proto", import.meta.url))],
    keepCase: true,
    longs: String,
    enums: Number,
    oneofs: true,
  });

  function messageType(name: string): MessageTypeDefinition<object, object> {
    const type: AnyDefinition | undefined = definition[name];
    if (type?.format !== "Protocol Buffer 3 DescriptorProto") throw new Error(`no message ${name}`);
    return type as MessageTypeDefinition<object, object>;
  }

  function roundTrip<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>) {
    const decoded = messageType(schema.typeName).deserialize(
      Buffer.from(toBinary(schema, message)),
    );
    // A plain copy, so that decoded bytes fields are Uint8Arrays like the original's, not Buffers.
    const reencoded = Uint8Array.from(messageType(schema.typeName).serialize(decoded));
    const back = fromBinary(schema, reencoded);
    return { decoded, back };
  }

  it("decodes a ModelInferRequest from protobuf-es with the same values, and encodes it back", () => {
    const { decoded, back } = roundTrip(ModelInferRequestSchema, inferRequest);
    expect(decoded).toEqual({
      model_name: "fraud",
      model_version: "2",
      id: "req-7",
      parameters: { priority: { int64_param: "3", parameter_choice: "int64_param" } },
      inputs: [
        {
          name: "INPUT0",
          datatype: "FP32",
          shape: ["2", "3"],
          parameters: { region: { string_param: "shm0", parameter_choice: "string_param" } },
          contents: { fp32_contents: [1.5, -2] },
        },
      ],
      outputs: [
        {
          name: "OUTPUT0",
          parameters: { binary_data: { bool_param: true, parameter_choice: "bool_param" } },
        },
      ],
      raw_input_contents: [Buffer.from(raw)],
    });
    expect(back).toEqual(inferRequest);
  });

  it("decodes a ModelInferResponse from protobuf-es with the same values, and encodes it back", () => {
    const { decoded, back } = roundTrip(ModelInferResponseSchema, inferResponse);
    expect(decoded).toEqual({
      model_name: "fraud",
      model_version: "2",
      id: "req-7",
      parameters: { sequence_end: { bool_param: true, parameter_choice: "bool_param" } },
      outputs: [
        {
          name: "OUTPUT0",
          datatype: "INT64",
          shape: ["2"],
          parameters: {
            binary_data_size: { uint64_param: "16", parameter_choice: "uint64_param" },
          },
          contents: { int64_contents: ["-1", "9"] },
        },
      ],
      raw_output_contents: [Buffer.from(raw)],
    });
    expect(back).toEqual(inferResponse);
  });

  it("decodes a health response from protobuf-es with the same status", () => {
    const response = create(HealthCheckResponseSchema, {
      status: HealthCheckResponse_ServingStatus.NOT_SERVING,
    });
    const { decoded } = roundTrip(HealthCheckResponseSchema, response);
    expect(decoded).toEqual({ status: 2 });
  });

  it("routes every RPC on the same HTTP/2 path with the same streaming shape", () => {
    for (const service of [GRPCInferenceService, Health]) {
      const grpc = definition[service.typeName] as Record<
        string,
        { path: string; requestStream: boolean; responseStream: boolean }
      >;
      expect(Object.keys(grpc).sort()).toEqual(service.methods.map((m) => m.name).sort());
      for (const method of service.methods) {
        expect(grpc[method.name]).toMatchObject({
          path: `/${service.typeName}/${method.name}`,
          requestStream: method.methodKind === "bidi_streaming",
          responseStream: method.methodKind !== "unary",
        });
      }
    }
  });
});

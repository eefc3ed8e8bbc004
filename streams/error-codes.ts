/**
 * The codes of the errors the streams runtime raises on purpose, with the HTTP status they would surface
 * as, whether retrying can help, what they mean and where they surface. `RuntimeError` and its subclasses
 * take their `retriable` and `httpStatus` from here. The service's one error catalogue
 * (processors/error-catalogue.ts) includes this table; docs/errors.md is generated from that.
 */

/** One entry of an error catalogue. */
export interface ErrorSpec {
  /** The HTTP status where the error surfaces in an API; null for codes that are never an answer. */
  readonly httpStatus: number | null
  /** Whether trying the same thing again can succeed. */
  readonly retriable: boolean
  /** What the code means, in one or two sentences. */
  readonly meaning: string
  /** Where it surfaces (runtime codes): the stage, the call, what happens next. */
  readonly surfaces?: string
}

export const RUNTIME_ERROR_CODES = {
  WRONG_MAGIC_BYTE: {
    httpStatus: 400,
    retriable: false,
    meaning: 'The record bytes do not start with the Confluent magic byte 0: not written by an Avro serde.',
    surfaces: 'Avro serde `deserialize`; dead-lettered at stage `deserialization`.',
  },
  UNKNOWN_SCHEMA_ID: {
    httpStatus: 400,
    retriable: false,
    meaning:
      'The writer schema ID in the record header is not in the registry (cache); `prefetch` fills the cache before a batch.',
    surfaces: 'Avro serde `deserialize`; dead-lettered at stage `deserialization`.',
  },
  UNDECODABLE_BODY: {
    httpStatus: 400,
    retriable: false,
    meaning:
      'The Avro body is truncated, has trailing bytes or garbage, or its writer schema cannot be resolved to the reader schema (`details.reason`).',
    surfaces: 'Avro serde `deserialize`; dead-lettered at stage `deserialization`.',
  },
  DESERIALIZATION_FAILED: {
    httpStatus: 400,
    retriable: false,
    meaning:
      'Bytes a serde cannot read, for serdes without a more precise code (declared by `DeserializationError`; no built-in serde raises it today).',
    surfaces: "A custom serde's `deserialize`; dead-lettered at stage `deserialization`.",
  },
  SERIALIZATION_FAILED: {
    httpStatus: 500,
    retriable: false,
    meaning:
      'A value a serde refuses to encode (does not match the schema, `details.paths`); any other error thrown by a sink serde is wrapped in this code.',
    surfaces:
      "Sink serialization; dead-lettered at stage `production`, the record's other outputs still go out.",
  },
  RECORD_TOO_LARGE: {
    httpStatus: 500,
    retriable: false,
    meaning: 'An output whose key + value is larger than `maxRecordBytes` (default 1 MiB - 1 KiB).',
    surfaces: 'Sink serialization; dead-lettered at stage `production`.',
  },
  INVALID_TOPOLOGY: {
    httpStatus: 500,
    retriable: false,
    meaning:
      'A topology that cannot run: bad node names or parents, unknown or orphan store, co-partitioned topics with different partition counts, a processor reaching a store it is not connected to or a child it does not have.',
    surfaces:
      'Topology building and application start (thrown); inside a processor, dead-lettered at stage `processing`.',
  },
  UNDECLARED_TOPIC: {
    httpStatus: 500,
    retriable: false,
    meaning:
      'The topology (or the dead-letter topic) uses a topic missing from the declared topic list (`StreamsConfig.topics`).',
    surfaces: 'Application start (`resolveStreamsConfig`).',
  },
  TOPIC_PARTITIONS_MISMATCH: {
    httpStatus: 500,
    retriable: false,
    meaning: 'A topic exists with another partition count than declared, which would break co-partitioning.',
    surfaces:
      "Application start: Kafka topic creation (`ensureTopics`) and the embedded log's `createTopics`.",
  },
  TOPICS_NOT_READY: {
    httpStatus: 500,
    retriable: true,
    meaning: 'Topics just created still have no partition leaders after 30 s.',
    surfaces: 'Application start: Kafka topic creation (`ensureTopics`).',
  },
  INVALID_CONFIG: {
    httpStatus: 500,
    retriable: false,
    meaning:
      'An invalid configuration value: an environment variable (the message starts with its name; `details.variables` names every one at fault), a runtime option (`applicationId`, `commitIntervalMs`, …), development secrets or a missing secret, issuer or audience outside the embedded mode, or production with development defaults.',
    surfaces:
      'Start-up (`loadConfig`, `loadServiceConfig`, `resolveStreamsConfig`): the service does not start (`main.ts` prints one line and exits 78).',
  },
  TASK_MIGRATED: {
    httpStatus: 500,
    retriable: true,
    meaning:
      "This instance's transactional producer was fenced: another instance owns the task now. The task restarts from its last commit or moves away.",
    surfaces: 'Kafka runtime commit; handled by the runtime (task rebuilt, rebalance), never dead-lettered.',
  },
  STREAMS_FATAL: {
    httpStatus: 500,
    retriable: false,
    meaning:
      'An exception handler answered `FAIL`; the cause is the original error, `details` name the task and stage.',
    surfaces:
      'Streams runtime: the application stops (state `ERROR`, `onError` listener); the TestDriver throws it.',
  },
  DATA_DIR_LOCKED: {
    httpStatus: 500,
    retriable: false,
    meaning:
      "The embedded mode's data folder is in use by another live process (its `LOCK` file names the pid). A lock of a dead process is taken over.",
    surfaces: 'Start-up in embedded mode (`EmbeddedLog.open`).',
  },
  UNKNOWN_TOPIC: {
    httpStatus: 500,
    retriable: false,
    meaning: 'The embedded log has no topic of this name (it was never created).',
    surfaces: 'Embedded log `append`, `read`, `partitions`, offsets: a programming error.',
  },
  UNKNOWN_PARTITION: {
    httpStatus: 500,
    retriable: false,
    meaning:
      "The embedded log's topic has no partition of this number; an append containing one writes nothing.",
    surfaces: 'Embedded log `append`, `read`, offsets: a programming error.',
  },
  LOG_CLOSED: {
    httpStatus: 500,
    retriable: false,
    meaning: 'An append to the embedded log after it was closed, or a read that needs its journal file.',
    surfaces: 'Embedded log `append` during or after shutdown.',
  },
  UNEXPECTED_ERROR: {
    httpStatus: 500,
    retriable: false,
    meaning:
      'Not raised: the `dlq.error.code` of a failure that is not a `CodedError` (a plain `Error`). Other foreign errors show their class name (`TypeError`, `RangeError`, …).',
    surfaces: 'Dead-letter headers and logs (`errorCode` in `streams/exception-handlers.ts`).',
  },
} as const satisfies Record<string, ErrorSpec>

/** A code of the runtime's errors, e.g. `TASK_MIGRATED`. */
export type RuntimeErrorCode = keyof typeof RUNTIME_ERROR_CODES

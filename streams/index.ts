/**
 * The streams runtime: Kafka Streams' model in TypeScript. A `Topology` of
 * sources, processors, stores and sinks runs as one `StreamTask` per input
 * partition on Kafka (`KafkaStreams`, exactly-once with transactions), on the
 * embedded log (`EmbeddedStreams`), or in tests on the `TestDriver`.
 */
export { ManualClock, systemClock, type Clock } from './clock.ts'
export { RUNTIME_ERROR_CODES, type ErrorSpec, type RuntimeErrorCode } from './error-codes.ts'
export {
  CodedError,
  DeserializationError,
  RuntimeError,
  type ErrorOptions,
  SerializationError,
  StreamsFatalError,
  TaskMigratedError,
  TopologyError,
} from './errors.ts'
export {
  continueOnError,
  deadLetterAll,
  defaultExceptionHandlers,
  DLQ_HEADERS,
  failOnError,
  type ExceptionHandler,
  type ExceptionHandlers,
  type FailureContext,
  type FailureStage,
  type HandlerResponse,
} from './exception-handlers.ts'
export {
  EmbeddedStreams,
  type EmbeddedStreamsConfig,
  type StreamsState,
} from './embedded/embedded-streams.ts'
export { EmbeddedLog, type AppendListener, type EmbeddedLogOptions } from './embedded/log.ts'
export { createKafka, type KafkaSecurity } from './kafka/client.ts'
export { KafkaStreams, type KafkaStreamsConfig } from './kafka/kafka-streams.ts'
export { ensureTopics } from './kafka/topics.ts'
export { StreamsMetrics } from './metrics.ts'
export { defaultPartitioner, murmur2, type Partitioner } from './partitioner.ts'
export type {
  Cancellable,
  Processor,
  ProcessorContext,
  ProcessorSupplier,
  Punctuator,
  PunctuationType,
} from './processor.ts'
export { Record, type Headers, type RecordMetadata } from './record.ts'
export { bufferSerde, int64Serde, jsonSerde, stringSerde, type Serde } from './serde.ts'
export {
  InMemoryKeyValueStore,
  Stores,
  type KeyValueStore,
  type StateStore,
  type StoreBuilder,
} from './state-store.ts'
export {
  EmbeddedProjection,
  KafkaProjection,
  projectionOf,
  skippedSummary,
  type KafkaProjectionOptions,
  type ProjectionBatch,
  type ProjectionOptions,
  type ProjectionRunner,
  type ProjectionSink,
  type ProjectionSource,
  type SkippedRecord,
} from './projection.ts'
export type { StreamsConfig } from './streams-config.ts'
export { changelogTopicName, type IncomingRecord, type OutgoingRecord } from './task.ts'
export {
  TEST_DRIVER_DEAD_LETTER_TOPIC,
  TestDriver,
  TestInputTopic,
  TestOutputTopic,
  type TestDriverConfig,
} from './test-driver.ts'
export type { TopicSpec } from './topic-spec.ts'
export { Topology, TopologyDescription } from './topology.ts'

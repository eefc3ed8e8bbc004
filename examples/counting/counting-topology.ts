import { avroSerde, type AvroSerde, type SchemaRegistry } from '../../avro/index.ts'
import {
  COUNT_STORE,
  CountSumProcessor,
  type CountInputValue,
  type CountState,
  type CountTotalValue,
} from './count-sum.ts'
import { jsonSerde, type Serde, Stores, stringSerde, type TopicSpec, Topology } from '../../streams/index.ts'

/**
 * The streams runtime's sample topology (its tests and `npm run bench:runtime`):
 * per-key running sums kept in a changelogged store, each update forwarded.
 *
 *   counting-input (source) → count-sum (processor, store count-sums) → counting-output (sink)
 */
export const COUNTING_INPUT = 'aquastream.runtime.counting-input.v1'
export const COUNTING_OUTPUT = 'aquastream.runtime.counting-output.v1'
/** Where the counting apps' dead letters go (give it as the runtime's `deadLetterTopic`). */
export const COUNTING_DEAD_LETTERS = 'aquastream.runtime.counting-dlq.v1'

/** Topic names of one counting run; tests give each run its own, so runs never see each other's records. */
export interface CountingTopicNames {
  readonly input: string
  readonly output: string
}

export const DEFAULT_COUNTING_TOPICS: CountingTopicNames = { input: COUNTING_INPUT, output: COUNTING_OUTPUT }

/** The topics the counting topology needs, the dead-letter topic's declaration included. */
export function countingTopics(
  partitions = 12,
  names: CountingTopicNames = DEFAULT_COUNTING_TOPICS,
): TopicSpec[] {
  return [
    { name: names.input, partitions, cleanupPolicy: 'delete', retentionMs: null },
    { name: names.output, partitions, cleanupPolicy: 'delete', retentionMs: null },
    { name: COUNTING_DEAD_LETTERS, partitions: 3, cleanupPolicy: 'delete', retentionMs: 30 * 24 * 3600_000 },
  ]
}

export interface CountingSerdes {
  readonly input: Serde<CountInputValue>
  readonly output: Serde<CountTotalValue>
}

export function buildCountingTopology(
  serdes: CountingSerdes,
  names: CountingTopicNames = DEFAULT_COUNTING_TOPICS,
): Topology {
  return new Topology()
    .addSource('counting-input', names.input, { keySerde: stringSerde, valueSerde: serdes.input })
    .addProcessor('count-sum', () => new CountSumProcessor(), 'counting-input')
    .addStateStore(
      Stores.keyValueStoreBuilder(COUNT_STORE, stringSerde, jsonSerde<CountState>()),
      'count-sum',
    )
    .addSink(
      'counting-output',
      names.output,
      { keySerde: stringSerde, valueSerde: serdes.output },
      'count-sum',
    )
}

/** The counting topology's Avro serdes, registered for `names` in `registry` (initialized). */
export async function createCountingSerdes(
  registry: SchemaRegistry,
  names: CountingTopicNames = DEFAULT_COUNTING_TOPICS,
): Promise<{ readonly input: AvroSerde<CountInputValue>; readonly output: AvroSerde<CountTotalValue> }> {
  const input = avroSerde<CountInputValue>({
    registry,
    schema: 'aquastream.runtime.CountInput',
    topics: [names.input],
  })
  const output = avroSerde<CountTotalValue>({
    registry,
    schema: 'aquastream.runtime.CountTotal',
    topics: [names.output],
  })
  await input.init()
  await output.init()
  return { input, output }
}

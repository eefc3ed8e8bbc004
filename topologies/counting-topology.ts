import {
  COUNT_STORE,
  CountSumProcessor,
  type CountInputValue,
  type CountState,
  type CountTotalValue,
} from '../processors/count-sum.ts'
import { jsonSerde, Stores, stringSerde, Topology, type Serde, type TopicSpec } from '../streams/index.ts'

/**
 * The streams runtime's reference topology (tests and `npm run bench:runtime`):
 * per-key running sums kept in a changelogged store, each update forwarded.
 *
 *   counting-input (source) → count-sum (processor, store count-sums) → counting-output (sink)
 */
export const COUNTING_INPUT = 'aquastream.runtime.counting-input.v1'
export const COUNTING_OUTPUT = 'aquastream.runtime.counting-output.v1'

export function countingTopics(partitions = 12): TopicSpec[] {
  return [
    { name: COUNTING_INPUT, partitions, cleanupPolicy: 'delete', retentionMs: null },
    { name: COUNTING_OUTPUT, partitions, cleanupPolicy: 'delete', retentionMs: null },
    { name: 'aquastream.dlq.v1', partitions: 3, cleanupPolicy: 'delete', retentionMs: null },
  ]
}

export interface CountingSerdes {
  readonly input: Serde<CountInputValue>
  readonly output: Serde<CountTotalValue>
}

export function buildCountingTopology(serdes: CountingSerdes): Topology {
  return new Topology()
    .addSource('counting-input', COUNTING_INPUT, { keySerde: stringSerde, valueSerde: serdes.input })
    .addProcessor('count-sum', () => new CountSumProcessor(), 'counting-input')
    .addStateStore(
      Stores.keyValueStoreBuilder(COUNT_STORE, stringSerde, jsonSerde<CountState>()),
      'count-sum',
    )
    .addSink(
      'counting-output',
      COUNTING_OUTPUT,
      { keySerde: stringSerde, valueSerde: serdes.output },
      'count-sum',
    )
}

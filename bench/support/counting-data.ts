/** Serdes and inputs of the counting topology, as the benchmark feeds it. */
import { LocalSchemaRegistry, type AvroSerde } from '../../avro/index.ts'
import type { CountInputValue, CountTotalValue } from '../../examples/counting/count-sum.ts'
import { createCountingSerdes, type CountingTopicNames } from '../../examples/counting/counting-topology.ts'

export const PARTITIONS = 12
export const KEYS = 10_000

export interface CountingSerdes {
  readonly input: AvroSerde<CountInputValue>
  readonly output: AvroSerde<CountTotalValue>
}

/** Avro serdes on the local registry (the benchmark never needs a registry server). */
export async function countingSerdes(names: CountingTopicNames): Promise<CountingSerdes> {
  const registry = new LocalSchemaRegistry()
  const { input, output } = await createCountingSerdes(registry, names)
  return { input, output }
}

/** The i-th input: keys spread over `KEYS` keys, small signed amounts. */
export function inputValue(i: number, nowMs: number): CountInputValue {
  return { key: `key-${(i * 7919) % KEYS}`, amount: ((i * 31) % 97) - 40, producedAtMs: nowMs }
}

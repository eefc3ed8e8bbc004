import type { KeyValueStore, Processor, ProcessorContext, Record } from '../../streams/index.ts'

/**
 * The runtime's reference processor (tests and benchmarks of the streams
 * runtime, like Kafka Streams' word count): per-key running sums. Each input
 * adds its amount to the key's total; each output carries the new total and the
 * number of inputs counted so far, so a lost or duplicated input shows as a gap
 * or a repeat in `count`.
 */
export interface CountInputValue {
  readonly key: string
  readonly amount: number
  readonly producedAtMs: number
}

export interface CountTotalValue {
  readonly key: string
  readonly total: number
  readonly count: number
  readonly updatedAtMs: number
}

export interface CountState {
  readonly total: number
  readonly count: number
}

/** The pure decision: new state and the output for one input. */
export function addToSum(
  state: CountState | undefined,
  input: CountInputValue,
  nowMs: number,
): { state: CountState; output: CountTotalValue } {
  const next = { total: (state?.total ?? 0) + input.amount, count: (state?.count ?? 0) + 1 }
  return { state: next, output: { key: input.key, total: next.total, count: next.count, updatedAtMs: nowMs } }
}

export const COUNT_STORE = 'count-sums'

export class CountSumProcessor implements Processor<string, CountInputValue, string, CountTotalValue> {
  #context!: ProcessorContext<string, CountTotalValue>
  #store!: KeyValueStore<string, CountState>

  init(context: ProcessorContext<string, CountTotalValue>): void {
    this.#context = context
    this.#store = context.getStateStore(COUNT_STORE)
  }

  process(record: Record<string, CountInputValue>): void {
    const { state, output } = addToSum(
      this.#store.get(record.key),
      record.value,
      this.#context.currentSystemTimeMs(),
    )
    this.#store.put(record.key, state)
    this.#context.forward(record.withValue(output))
  }
}

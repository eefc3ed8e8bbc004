import type { BookingCommand, CrewStatusChanged, EventCommand, PaymentStatusChanged } from '../avro/index.ts'
import type { Processor, ProcessorContext, Record } from '../streams/index.ts'

/** Everything the event ledger decides on, tagged by kind (the ledger never knows which topic it came from). */
export type LedgerInput =
  | { readonly kind: 'event-command'; readonly value: EventCommand }
  | { readonly kind: 'booking-command'; readonly value: BookingCommand }
  | { readonly kind: 'payment-status'; readonly value: PaymentStatusChanged }
  | { readonly kind: 'crew-status'; readonly value: CrewStatusChanged }

/**
 * Tags each record of one source with its kind and forwards it to the ledger: one instance per source,
 * so the wiring (not the ledger) says what a topic carries.
 */
export class LedgerInputTagger<T extends LedgerInput> implements Processor<
  string,
  T['value'],
  string,
  LedgerInput
> {
  readonly #kind: T['kind']
  #context!: ProcessorContext<string, LedgerInput>

  constructor(kind: T['kind']) {
    this.#kind = kind
  }

  init(context: ProcessorContext<string, LedgerInput>): void {
    this.#context = context
  }

  process(record: Record<string, T['value']>): void {
    if (record.value === null || record.value === undefined) return // a tombstone carries no command
    this.#context.forward(record.withValue({ kind: this.#kind, value: record.value } as LedgerInput))
  }
}

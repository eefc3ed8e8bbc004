import t from 'tap'
import type { BookingCommand } from '../../avro/index.ts'
import { LedgerInputTagger, type LedgerInput } from '../../processors/ledger-input.ts'
import { Record, type ProcessorContext } from '../../streams/index.ts'

/** A tagger for booking commands whose forwarded records land in `forwarded`. */
function tagger() {
  const forwarded: Record<string, LedgerInput>[] = []
  const context = { forward: (record: Record<string, LedgerInput>) => forwarded.push(record) }
  const processor = new LedgerInputTagger<Extract<LedgerInput, { kind: 'booking-command' }>>(
    'booking-command',
  )
  processor.init(context as unknown as ProcessorContext<string, LedgerInput>)
  return { processor, forwarded }
}

t.test('a command is forwarded tagged with its kind, key, timestamp and headers kept', async (t) => {
  const { processor, forwarded } = tagger()
  const command = { type: 'CANCEL', eventId: 'e1' } as unknown as BookingCommand
  processor.process(new Record('e1', command, 42, { h: 'v' }))
  t.equal(forwarded.length, 1)
  t.strictSame(
    { ...forwarded[0] },
    { key: 'e1', value: { kind: 'booking-command', value: command }, timestamp: 42, headers: { h: 'v' } },
  )
})

t.test('a tombstone (null or undefined value) forwards nothing', async (t) => {
  const { processor, forwarded } = tagger()
  processor.process(new Record('e1', null as unknown as BookingCommand, 1))
  t.strictSame(forwarded, [], 'null')
  processor.process(new Record('e1', undefined as unknown as BookingCommand, 2))
  t.strictSame(forwarded, [], 'undefined')
})

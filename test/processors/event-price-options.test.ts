import t from 'tap'
import type { EventCommand, PriceOptionInput } from '../../avro/index.ts'
import type { EventDecision } from '../../processors/event-decision.ts'
import { putPriceOption, removePriceOption } from '../../processors/event-price-options.ts'
import { eventFact } from '../../processors/ledger-outputs.ts'
import {
  MAX_PRICE_MINOR,
  MAX_PRICE_OPTIONS,
  type EventState,
  type PriceOptionState,
} from '../../processors/ledger-state.ts'
import type { ReasonCode } from '../../processors/reason-codes.ts'
import { eventCommand } from '../../query-api/commands/command-builders.ts'
import { draftEvent, NOW, publishedEvent, stdOption } from './ledger-fixtures.ts'

const ENVELOPE = { requestId: 'r1', eventId: 'e1', actor: { userId: 'org', role: 'ORGANIZER' as const } }
const CAUSE = { requestId: 'r1', actorUserId: 'org' }

const input = (overrides: Partial<PriceOptionInput> = {}): PriceOptionInput => ({
  priceOptionId: 'vip',
  name: 'VIP',
  priceMinor: 5000,
  allotment: 1,
  validFromMs: null,
  validUntilMs: null,
  ...overrides,
})
const add = (priceOption: PriceOptionInput | null): EventCommand =>
  eventCommand({ ...ENVELOPE, issuedAtMs: NOW }, 'ADD_PRICE_OPTION', { priceOption })
const update = (priceOption: PriceOptionInput | null): EventCommand =>
  eventCommand({ ...ENVELOPE, issuedAtMs: NOW }, 'UPDATE_PRICE_OPTION', { priceOption })
const remove = (priceOptionId: string | null): EventCommand =>
  eventCommand({ ...ENVELOPE, issuedAtMs: NOW }, 'REMOVE_PRICE_OPTION', {
    removePriceOption: priceOptionId === null ? null : { priceOptionId },
  })
const option = (id: string, allotment = 0, taken = 0): PriceOptionState => ({
  ...stdOption(allotment, taken),
  priceOptionId: id,
  name: id.toUpperCase(),
})

const refusal = (reasonCode: ReasonCode, message: string): EventDecision => ({
  ok: false,
  refusal: { reasonCode, message },
})
const invalid = (message: string) => refusal('VALIDATION_FAILED', message)

/** The accepted decision: `event` one version on with `options`, one fact of `type` naming `id`. */
function acceptedWith(
  event: EventState,
  options: readonly PriceOptionState[],
  type: 'PRICE_OPTION_ADDED' | 'PRICE_OPTION_UPDATED' | 'PRICE_OPTION_REMOVED',
  id: string,
  message: string,
): EventDecision {
  const next = { ...event, priceOptions: options, version: event.version + 1 }
  return {
    ok: true,
    event: next,
    outputs: [eventFact(next, type, CAUSE, NOW, id)],
    followUp: null,
    message,
    resourceType: 'PRICE_OPTION',
    resourceId: id,
  }
}

t.test('ADD_PRICE_OPTION appends the option with no seats taken and emits PRICE_OPTION_ADDED', async (t) => {
  const event = publishedEvent()
  const decision = putPriceOption(event, add(input()), NOW)
  const vip: PriceOptionState = { ...input(), taken: 0 }
  t.strictSame(
    decision,
    acceptedWith(event, [stdOption(3), vip], 'PRICE_OPTION_ADDED', 'vip', 'PRICE_OPTION_ADDED'),
  )
  if (decision.ok) {
    t.equal(decision.outputs.length, 1)
    t.match(decision.outputs[0], {
      to: 'event-events',
      value: { type: 'PRICE_OPTION_ADDED', version: event.version + 1, detail: 'vip', occurredAtMs: NOW },
    })
  }
  t.strictSame(event.priceOptions, [stdOption(3)], 'the state given is untouched')
})

t.test('UPDATE_PRICE_OPTION replaces the option in place, keeps its seats taken', async (t) => {
  const event = publishedEvent({ priceOptions: [option('a', 1), stdOption(2, 1), option('b', 1)] })
  const changed = input({ priceOptionId: 'std', name: 'Standard', priceMinor: 1200, allotment: 1 })
  const decision = putPriceOption(event, update(changed), NOW)
  t.strictSame(
    decision,
    acceptedWith(
      event,
      [option('a', 1), { ...changed, taken: 1 }, option('b', 1)],
      'PRICE_OPTION_UPDATED',
      'std',
      'PRICE_OPTION_UPDATED',
    ),
  )
  if (decision.ok) t.match(decision.outputs[0], { value: { type: 'PRICE_OPTION_UPDATED', detail: 'std' } })
})

t.test('the payload and the event must allow the change', async (t) => {
  t.strictSame(
    putPriceOption(publishedEvent(), add(null), NOW),
    invalid('ADD_PRICE_OPTION needs the priceOption payload'),
  )
  t.strictSame(
    putPriceOption(publishedEvent(), update(null), NOW),
    invalid('UPDATE_PRICE_OPTION needs the priceOption payload'),
  )
  for (const status of ['CANCELED', 'COMPLETED'] as const)
    t.strictSame(
      putPriceOption(publishedEvent({ status }), add(input()), NOW),
      refusal('INVALID_TRANSITION', `event is ${status}`),
    )
  t.equal(putPriceOption(draftEvent(), add(input()), NOW).ok, true, 'a DRAFT is editable')
  t.equal(putPriceOption(publishedEvent({ status: 'RESCHEDULED' }), add(input()), NOW).ok, true)
})

t.test('ID and name are required, one at a time', async (t) => {
  const event = publishedEvent()
  const required = invalid('price option ID and name are required')
  t.strictSame(putPriceOption(event, add(input({ priceOptionId: '' })), NOW), required)
  t.strictSame(putPriceOption(event, add(input({ name: '' })), NOW), required)
  t.strictSame(putPriceOption(event, add(input({ name: '  ' })), NOW), required, 'blank name')
  t.equal(putPriceOption(event, add(input({ priceOptionId: 'x', name: ' y ' })), NOW).ok, true)
})

t.test('price: an integer 0 to MAX_PRICE_MINOR', async (t) => {
  const event = publishedEvent()
  const bad = invalid('price must be 0-1,000,000.00')
  for (const priceMinor of [-1, MAX_PRICE_MINOR + 1, 10.5])
    t.strictSame(putPriceOption(event, add(input({ priceMinor })), NOW), bad, String(priceMinor))
  for (const priceMinor of [0, MAX_PRICE_MINOR])
    t.equal(putPriceOption(event, add(input({ priceMinor })), NOW).ok, true, String(priceMinor))
})

t.test('allotment: an integer of at least 0', async (t) => {
  const event = publishedEvent()
  const bad = invalid('allotment must be >= 0')
  for (const allotment of [-1, 0.5])
    t.strictSame(putPriceOption(event, add(input({ allotment })), NOW), bad, String(allotment))
  t.equal(putPriceOption(event, add(input({ allotment: 0 })), NOW).ok, true)
})

t.test('validFrom must be before validUntil when both are set', async (t) => {
  const event = publishedEvent()
  const bad = invalid('validFrom must be before validUntil')
  t.strictSame(putPriceOption(event, add(input({ validFromMs: NOW, validUntilMs: NOW })), NOW), bad)
  t.strictSame(putPriceOption(event, add(input({ validFromMs: NOW + 1, validUntilMs: NOW })), NOW), bad)
  for (const [validFromMs, validUntilMs] of [
    [NOW, NOW + 1],
    [null, NOW],
    [NOW, null],
  ] as const)
    t.equal(
      putPriceOption(event, add(input({ validFromMs, validUntilMs })), NOW).ok,
      true,
      `${validFromMs}..${validUntilMs}`,
    )
})

t.test('ADD of an existing ID, UPDATE of an unknown one', async (t) => {
  const event = publishedEvent()
  t.strictSame(
    putPriceOption(event, add(input({ priceOptionId: 'std' })), NOW),
    refusal('PRICE_OPTION_EXISTS', 'price option std exists'),
  )
  t.strictSame(
    putPriceOption(event, update(input({ priceOptionId: 'vip' })), NOW),
    refusal('PRICE_OPTION_NOT_FOUND', 'no price option vip'),
  )
})

t.test('at most MAX_PRICE_OPTIONS options; updating one of them is not adding', async (t) => {
  const ids = Array.from({ length: MAX_PRICE_OPTIONS }, (_, i) => `o${i}`)
  const full = publishedEvent({ priceOptions: ids.map((id) => option(id)) })
  t.strictSame(
    putPriceOption(full, add(input({ allotment: 0 })), NOW),
    refusal('LIMIT_EXCEEDED', `at most ${MAX_PRICE_OPTIONS} price options`),
  )
  t.equal(putPriceOption(full, update(input({ priceOptionId: 'o3', allotment: 0 })), NOW).ok, true)
  const oneLess = publishedEvent({ priceOptions: ids.slice(1).map((id) => option(id)) })
  t.equal(putPriceOption(oneLess, add(input({ allotment: 0 })), NOW).ok, true)
})

t.test('an allotment never goes below the seats taken of the option', async (t) => {
  const event = publishedEvent({ priceOptions: [stdOption(3, 2)] })
  t.strictSame(
    putPriceOption(event, update(input({ priceOptionId: 'std', allotment: 1 })), NOW),
    invalid('allotment below the 2 seats already taken'),
  )
  t.equal(putPriceOption(event, update(input({ priceOptionId: 'std', allotment: 2 })), NOW).ok, true)
})

t.test('the allotments together never exceed the capacity', async (t) => {
  const event = publishedEvent() // capacity 5, std has 3
  const over = refusal('LIMIT_EXCEEDED', 'the allotments would exceed the capacity')
  t.strictSame(putPriceOption(event, add(input({ allotment: 3 })), NOW), over)
  t.equal(putPriceOption(event, add(input({ allotment: 2 })), NOW).ok, true, 'up to the capacity')
  t.strictSame(putPriceOption(event, update(input({ priceOptionId: 'std', allotment: 6 })), NOW), over)
  t.equal(
    putPriceOption(event, update(input({ priceOptionId: 'std', allotment: 5 })), NOW).ok,
    true,
    'the updated allotment replaces the old one in the sum',
  )
})

t.test('REMOVE_PRICE_OPTION drops the option and emits PRICE_OPTION_REMOVED', async (t) => {
  const event = publishedEvent({ priceOptions: [option('a'), stdOption(3), option('b')] })
  const decision = removePriceOption(event, remove('std'), NOW)
  t.strictSame(
    decision,
    acceptedWith(event, [option('a'), option('b')], 'PRICE_OPTION_REMOVED', 'std', 'price option removed'),
  )
  if (decision.ok) {
    t.equal(decision.outputs.length, 1)
    t.match(decision.outputs[0], { value: { type: 'PRICE_OPTION_REMOVED', detail: 'std' } })
  }
  const draft = { ...draftEvent(), priceOptions: [stdOption(3)] }
  t.strictSame(
    removePriceOption(draft, remove('std'), NOW),
    acceptedWith(draft, [], 'PRICE_OPTION_REMOVED', 'std', 'price option removed'),
    'a DRAFT may lose its last option',
  )
})

t.test('REMOVE_PRICE_OPTION refusals', async (t) => {
  const event = publishedEvent({ priceOptions: [stdOption(3, 1), option('a')] })
  t.strictSame(removePriceOption(event, remove(null), NOW), invalid('REMOVE_PRICE_OPTION needs its payload'))
  for (const status of ['CANCELED', 'COMPLETED'] as const)
    t.strictSame(
      removePriceOption({ ...event, status }, remove('a'), NOW),
      refusal('INVALID_TRANSITION', `event is ${status}`),
    )
  t.strictSame(
    removePriceOption(event, remove('zz'), NOW),
    refusal('PRICE_OPTION_NOT_FOUND', 'no price option zz'),
  )
  t.strictSame(
    removePriceOption(event, remove('std'), NOW),
    refusal('PRICE_OPTION_IN_USE', 'price option std has active bookings'),
  )
  t.equal(removePriceOption(event, remove('a'), NOW).ok, true, 'no seats taken of it')
  const last = invalid('a published event keeps at least one price option')
  for (const status of ['PUBLISHED', 'RESCHEDULED'] as const)
    t.strictSame(removePriceOption(publishedEvent({ status }), remove('std'), NOW), last, status)
})

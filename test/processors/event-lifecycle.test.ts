import t from 'tap'
import type { EventCommand } from '../../avro/index.ts'
import { decideEventCommand, dueEventTimer } from '../../processors/event-lifecycle.ts'
import { DAY_MS, type EventState } from '../../processors/ledger-state.ts'

const NOW = Date.UTC(2026, 0, 1)
const base = {
  requestId: 'r',
  eventId: 'e1',
  actor: { userId: 'org', role: 'ORGANIZER' as const },
  issuedAtMs: NOW,
  expectedVersion: null,
  create: null,
  update: null,
  publish: null,
  reschedule: null,
  cancel: null,
  priceOption: null,
  removePriceOption: null,
  createPromoCode: null,
  deactivatePromoCode: null,
  refundPolicy: null,
  crewRequest: null,
}
const command = (type: EventCommand['type'], payload: Partial<EventCommand> = {}): EventCommand => ({
  ...base,
  type,
  ...payload,
})

function draft(): EventState {
  const decision = decideEventCommand(
    undefined,
    command('CREATE', {
      create: {
        organizerId: null,
        title: 'SUP tour',
        description: 'Evening SUP tour on the river.',
        startsAtMs: NOW + 10 * DAY_MS,
        endsAtMs: NOW + 10 * DAY_MS + 3_600_000,
        place: 'Pier 3',
        categories: ['sup'],
        capacity: 8,
        holdMinutes: null,
        bookingDeadlineHours: null,
        locale: 'ru-RU',
      },
    }),
    NOW,
  )
  if (!decision.ok) throw new Error(decision.refusal.message)
  return decision.event
}

t.test('transitions allowed and refused', async (t) => {
  const event = draft()
  t.match(
    decideEventCommand(
      event,
      command('RESCHEDULE', {
        reschedule: { startsAtMs: NOW + DAY_MS, endsAtMs: NOW + 2 * DAY_MS, place: 'x' },
      }),
      NOW,
    ),
    { ok: false, refusal: { reasonCode: 'INVALID_TRANSITION' } },
  )
  t.match(decideEventCommand(event, command('PUBLISH'), NOW), {
    ok: false,
    refusal: { reasonCode: 'VALIDATION_FAILED' },
  })
  const withOption = decideEventCommand(
    event,
    command('ADD_PRICE_OPTION', {
      priceOption: {
        priceOptionId: 'a',
        name: 'A',
        priceMinor: 100,
        allotment: 8,
        validFromMs: null,
        validUntilMs: null,
      },
    }),
    NOW,
  )
  if (!withOption.ok) throw new Error('refused')
  const published = decideEventCommand(withOption.event, command('PUBLISH'), NOW)
  t.match(published, { ok: true, event: { status: 'PUBLISHED', version: 3 } })
  if (!published.ok) return
  const canceled = decideEventCommand(published.event, command('CANCEL'), NOW)
  t.match(canceled, { ok: true, followUp: 'CANCEL_ALL', event: { status: 'CANCELED' } })
  if (!canceled.ok) return
  t.match(decideEventCommand(canceled.event, command('CANCEL'), NOW), {
    ok: false,
    refusal: { reasonCode: 'INVALID_TRANSITION' },
  })
  t.match(
    decideEventCommand(published.event, command('CANCEL', { actor: { userId: 'u', role: 'USER' } }), NOW),
    { ok: false, refusal: { reasonCode: 'FORBIDDEN' } },
  )
})

t.test('timers: reminder once per start, complete at the end, reviewed 30 days later', async (t) => {
  const event: EventState = { ...draft(), status: 'PUBLISHED' }
  t.equal(dueEventTimer(event, NOW), undefined)
  const remind = dueEventTimer(event, event.startsAtMs - DAY_MS)
  t.equal(remind?.followUp, 'REMIND')
  t.equal(dueEventTimer(remind!.event, event.startsAtMs - DAY_MS + 1), undefined, 'once')
  const completed = dueEventTimer(remind!.event, event.endsAtMs)
  t.equal(completed?.event.status, 'COMPLETED')
  t.equal(dueEventTimer(completed!.event, event.endsAtMs + 30 * DAY_MS - 1), undefined)
  t.equal(dueEventTimer(completed!.event, event.endsAtMs + 30 * DAY_MS)?.event.status, 'REVIEWED')
})

import t from 'tap'
import { publishable, publishEvent } from '../../processors/event-publish.ts'
import { eventFact } from '../../processors/ledger-outputs.ts'
import type { EventState } from '../../processors/ledger-state.ts'
import { CAUSE, command, eventState, NOW, START } from './event-state-builders.ts'

const failed = (message: string) => ({ reasonCode: 'VALIDATION_FAILED', message })
const refusedWith = (reasonCode: string, message: string) => ({ ok: false, refusal: { reasonCode, message } })

t.test('publishable: each rule alone, both sides', async (t) => {
  const description = failed('a description is required to publish')
  t.strictSame(publishable(eventState({ description: '' }), NOW), description)
  t.strictSame(publishable(eventState({ description: 'd'.repeat(9) }), NOW), description)
  t.equal(publishable(eventState({ description: 'd'.repeat(10) }), NOW), undefined)
  t.strictSame(
    publishable(eventState({ priceOptions: [] }), NOW),
    failed('at least one price option is required'),
  )
  const categories = failed('1-5 categories are required')
  t.strictSame(publishable(eventState({ categories: [] }), NOW), categories)
  t.equal(publishable(eventState({ categories: ['a'] }), NOW), undefined)
  t.equal(publishable(eventState({ categories: ['a', 'b', 'c', 'd', 'e'] }), NOW), undefined)
  t.strictSame(publishable(eventState({ categories: ['a', 'b', 'c', 'd', 'e', 'f'] }), NOW), categories)
  t.strictSame(publishable(eventState(), START), failed('the start has passed'))
  t.strictSame(publishable(eventState(), START + 1), failed('the start has passed'))
  t.equal(publishable(eventState(), START - 1), undefined)
})

const publish = (publishAtMs: number | null) => command('PUBLISH', { publish: { publishAtMs } })
const acceptedWith = (next: EventState, type: 'PUBLISHED' | 'PUBLICATION_SCHEDULED', message: string) => ({
  ok: true,
  event: next,
  outputs: [eventFact(next, type, CAUSE, NOW)],
  followUp: null,
  message,
  resourceType: 'EVENT',
  resourceId: 'e1',
})

t.test('publishEvent: only a publishable DRAFT', async (t) => {
  t.strictSame(
    publishEvent(eventState({ status: 'PUBLISHED' }), publish(null), NOW),
    refusedWith('INVALID_TRANSITION', 'cannot publish a PUBLISHED event'),
  )
  t.strictSame(
    publishEvent(eventState({ priceOptions: [] }), publish(null), NOW),
    refusedWith('VALIDATION_FAILED', 'at least one price option is required'),
  )
})

t.test('publishEvent: now, or scheduled before the start', async (t) => {
  const draft = eventState({ publishAtMs: NOW - 5 })
  const now = acceptedWith(
    { ...draft, status: 'PUBLISHED', publishAtMs: null, version: 2 },
    'PUBLISHED',
    'event published',
  )
  t.strictSame(publishEvent(draft, command('PUBLISH'), NOW), now)
  t.strictSame(publishEvent(draft, publish(null), NOW), now)
  t.strictSame(publishEvent(draft, publish(NOW - 1), NOW), now)
  t.strictSame(publishEvent(draft, publish(NOW), NOW), now)
  t.strictSame(
    publishEvent(draft, publish(NOW + 1), NOW),
    acceptedWith(
      { ...draft, publishAtMs: NOW + 1, version: 2 },
      'PUBLICATION_SCHEDULED',
      'publication scheduled',
    ),
  )
  t.strictSame(
    publishEvent(draft, publish(START - 1), NOW),
    acceptedWith(
      { ...draft, publishAtMs: START - 1, version: 2 },
      'PUBLICATION_SCHEDULED',
      'publication scheduled',
    ),
  )
  const late = refusedWith('VALIDATION_FAILED', 'publication must be before the start')
  t.strictSame(publishEvent(draft, publish(START), NOW), late)
  t.strictSame(publishEvent(draft, publish(START + 1), NOW), late)
})

import t from 'tap'
import { rescheduleEvent, restoreSchedule } from '../../processors/event-reschedule.ts'
import { eventFact } from '../../processors/ledger-outputs.ts'
import type { EventState } from '../../processors/ledger-state.ts'
import { CAUSE, command, END, eventState, NOW, START } from './event-state-builders.ts'

const refusedWith = (reasonCode: string, message: string) => ({ ok: false, refusal: { reasonCode, message } })
const reschedule = (startsAtMs: number, endsAtMs = startsAtMs + 1000, place = 'Pier 4') =>
  command('RESCHEDULE', { reschedule: { startsAtMs, endsAtMs, place } })

t.test('rescheduleEvent: refusals', async (t) => {
  const published = eventState({ status: 'PUBLISHED' })
  t.strictSame(
    rescheduleEvent(published, command('RESCHEDULE'), NOW),
    refusedWith('VALIDATION_FAILED', 'RESCHEDULE needs the reschedule payload'),
  )
  t.strictSame(
    rescheduleEvent(eventState(), reschedule(START + 1), NOW),
    refusedWith('INVALID_TRANSITION', 'cannot reschedule a DRAFT event'),
  )
  t.strictSame(
    rescheduleEvent(published, reschedule(START, START), NOW),
    refusedWith('VALIDATION_FAILED', 'the end must be after the start'),
  )
  const passed = refusedWith('VALIDATION_FAILED', 'the new start has passed')
  t.strictSame(rescheduleEvent(published, reschedule(NOW - 1), NOW), passed)
  t.strictSame(rescheduleEvent(published, reschedule(NOW), NOW), passed)
})

t.test('rescheduleEvent: accepted at the first ms ahead', async (t) => {
  const published = eventState({ status: 'PUBLISHED' })
  const next: EventState = {
    ...published,
    status: 'RESCHEDULED',
    original: { startsAtMs: START, endsAtMs: END, place: 'Pier 3' },
    startsAtMs: NOW + 1,
    endsAtMs: NOW + 1001,
    place: 'Pier 4',
    lastRescheduledAtMs: NOW,
    version: 2,
  }
  t.strictSame(rescheduleEvent(published, reschedule(NOW + 1), NOW), {
    ok: true,
    event: next,
    outputs: [eventFact(next, 'RESCHEDULED', CAUSE, NOW)],
    followUp: 'NOTIFY_RESCHEDULED',
    message: 'event rescheduled',
    resourceType: 'EVENT',
    resourceId: 'e1',
  })
})

t.test('restoreSchedule', async (t) => {
  const original = { startsAtMs: START, endsAtMs: END, place: 'Pier 3' }
  const moved = eventState({
    status: 'RESCHEDULED',
    original,
    startsAtMs: START + 50,
    endsAtMs: END + 50,
    place: 'Pier 4',
    version: 3,
  })
  t.strictSame(
    restoreSchedule(eventState({ status: 'PUBLISHED', original }), command('RESTORE_SCHEDULE'), NOW),
    refusedWith('INVALID_TRANSITION', 'cannot restore the schedule of a PUBLISHED event'),
  )
  const passed = refusedWith('VALIDATION_FAILED', 'the original start has passed')
  t.strictSame(restoreSchedule(moved, command('RESTORE_SCHEDULE'), START), passed)
  t.strictSame(restoreSchedule(moved, command('RESTORE_SCHEDULE'), START + 1), passed)
  const next: EventState = {
    ...moved,
    ...original,
    status: 'PUBLISHED',
    original: null,
    lastRescheduledAtMs: START - 1,
    version: 4,
  }
  t.strictSame(restoreSchedule(moved, command('RESTORE_SCHEDULE'), START - 1), {
    ok: true,
    event: next,
    outputs: [eventFact(next, 'SCHEDULE_RESTORED', CAUSE, START - 1)],
    followUp: 'NOTIFY_RESTORED',
    message: 'original schedule restored',
    resourceType: 'EVENT',
    resourceId: 'e1',
  })
})

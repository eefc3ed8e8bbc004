import t from 'tap'
import { decideEventCommand, dueEventTimer } from '../../processors/event-lifecycle.ts'
import { eventFact, notify, TIMER_CAUSE } from '../../processors/ledger-outputs.ts'
import { command, END, eventState, NOW, START } from './event-state-builders.ts'

const refusedWith = (reasonCode: string, message: string) => ({ ok: false, refusal: { reasonCode, message } })

t.test('decideEventCommand: refusals common to every command', async (t) => {
  t.strictSame(
    decideEventCommand(undefined, command('PUBLISH'), NOW),
    refusedWith('EVENT_NOT_FOUND', 'no event e1'),
  )
  t.strictSame(
    decideEventCommand(eventState({ organizerId: 'other' }), command('PUBLISH'), NOW),
    refusedWith('FORBIDDEN', 'ORGANIZER org may not change event e1'),
  )
  t.strictSame(
    decideEventCommand(eventState(), { ...command('PUBLISH'), expectedVersion: 3 }, NOW),
    refusedWith('VERSION_CONFLICT', 'expected version 3, the event is at 1'),
  )
  t.strictSame(
    decideEventCommand(eventState(), { ...command('PUBLISH'), type: 'BOGUS' as 'PUBLISH' }, NOW),
    refusedWith('VALIDATION_FAILED', 'unknown event command BOGUS'),
  )
})

t.test('dueEventTimer: a scheduled publication', async (t) => {
  const scheduled = eventState({ publishAtMs: NOW })
  const published = { ...scheduled, status: 'PUBLISHED' as const, publishAtMs: null, version: 2 }
  t.strictSame(dueEventTimer(scheduled, NOW), {
    event: published,
    outputs: [eventFact(published, 'PUBLISHED', TIMER_CAUSE, NOW)],
    followUp: null,
  })
  t.equal(dueEventTimer(scheduled, NOW - 1), undefined)
  t.equal(dueEventTimer(eventState(), NOW), undefined, 'a DRAFT without a schedule waits')
  t.equal(
    dueEventTimer(eventState({ status: 'PUBLISHED', publishAtMs: null }), NOW),
    undefined,
    'a running event far from its start has nothing due',
  )
  t.equal(
    dueEventTimer(eventState({ status: 'PUBLISHED', publishAtMs: NOW - 1 }), NOW),
    undefined,
    'only a DRAFT is published by the timer',
  )
})

t.test('dueEventTimer: a scheduled publication that cannot happen any more', async (t) => {
  const scheduled = eventState({ publishAtMs: NOW - 7, priceOptions: [] })
  const dropped = { ...scheduled, publishAtMs: null, version: 2 }
  t.strictSame(dueEventTimer(scheduled, NOW), {
    event: dropped,
    outputs: [
      eventFact(dropped, 'UPDATED', TIMER_CAUSE, NOW, 'scheduled publication dropped'),
      notify(dropped, 'org', 'event.publication_failed', `event.publication_failed:e1:${NOW - 7}`, NOW),
    ],
    followUp: null,
  })
})

t.test('dueEventTimer: no reminder once the start has come', async (t) => {
  const running = eventState({ status: 'PUBLISHED' })
  t.strictSame(dueEventTimer(running, START - 1), {
    event: { ...running, reminderSentForStartMs: START },
    outputs: [],
    followUp: 'REMIND',
  })
  t.equal(dueEventTimer(running, START), undefined)
  t.match(dueEventTimer(running, END), { event: { status: 'COMPLETED' } })
})

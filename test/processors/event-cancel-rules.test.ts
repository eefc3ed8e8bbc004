import t from 'tap'
import { cancelEvent } from '../../processors/event-cancel.ts'
import { eventFact } from '../../processors/ledger-outputs.ts'
import { CAUSE, command, eventState, NOW } from './event-state-builders.ts'

const refusedWith = (reasonCode: string, message: string) => ({ ok: false, refusal: { reasonCode, message } })

t.test('cancelEvent', async (t) => {
  t.strictSame(
    cancelEvent(eventState({ status: 'COMPLETED' }), command('CANCEL'), NOW),
    refusedWith('INVALID_TRANSITION', 'cannot cancel a COMPLETED event'),
  )
  const draft = eventState({ publishAtMs: NOW + 5 })
  const next = { ...draft, status: 'CANCELED' as const, publishAtMs: null, version: 2 }
  const decision = (detail: string | null) => ({
    ok: true,
    event: next,
    outputs: [eventFact(next, 'CANCELED', CAUSE, NOW, detail)],
    followUp: 'CANCEL_ALL',
    message: 'event canceled',
    resourceType: 'EVENT',
    resourceId: 'e1',
  })
  t.strictSame(cancelEvent(draft, command('CANCEL', { cancel: { reason: 'storm' } }), NOW), decision('storm'))
  t.strictSame(cancelEvent(draft, command('CANCEL'), NOW), decision(null))
})

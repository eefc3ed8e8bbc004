import t from 'tap'
import { setRefundPolicy } from '../../processors/event-refund-policy.ts'
import { eventFact } from '../../processors/ledger-outputs.ts'
import { CAUSE, command, eventState, NOW } from './event-state-builders.ts'

const refusedWith = (reasonCode: string, message: string) => ({ ok: false, refusal: { reasonCode, message } })

t.test('setRefundPolicy', async (t) => {
  const tiers = [{ minHoursBeforeStart: 48, percent: 100 }]
  const policy = command('SET_REFUND_POLICY', { refundPolicy: { tiers } })
  t.strictSame(
    setRefundPolicy(eventState(), command('SET_REFUND_POLICY'), NOW),
    refusedWith('VALIDATION_FAILED', 'SET_REFUND_POLICY needs its payload'),
  )
  t.strictSame(
    setRefundPolicy(eventState({ status: 'COMPLETED' }), policy, NOW),
    refusedWith('INVALID_TRANSITION', 'event is COMPLETED'),
  )
  t.strictSame(
    setRefundPolicy(eventState(), command('SET_REFUND_POLICY', { refundPolicy: { tiers: [] } }), NOW),
    refusedWith('VALIDATION_FAILED', 'a policy has 1-10 tiers'),
  )
  const next = eventState({ refundPolicy: tiers, version: 2 })
  t.strictSame(setRefundPolicy(eventState(), policy, NOW), {
    ok: true,
    event: next,
    outputs: [eventFact(next, 'REFUND_POLICY_SET', CAUSE, NOW)],
    followUp: null,
    message: 'refund policy set',
    resourceType: 'REFUND_POLICY',
    resourceId: 'e1',
  })
})

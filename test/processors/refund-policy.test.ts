import t from 'tap'
import { HOUR_MS } from '../../processors/ledger-state.ts'
import {
  DEFAULT_REFUND_POLICY,
  refundAmount,
  refundPercent,
  validateRefundPolicy,
} from '../../processors/refund-policy.ts'

const START = 1_000 * HOUR_MS

t.test('default tiers: ≥7 d 100%, 48 h-7 d 80%, 24-48 h 50%, <24 h 0%', async (t) => {
  const at = (hoursLeft: number) => refundPercent(null, START, START - hoursLeft * HOUR_MS)
  t.same(
    [at(200), at(168), at(167.9), at(48), at(47.9), at(24), at(23.9), at(0), at(-1)],
    [100, 100, 80, 80, 50, 50, 0, 0, 0],
  )
})

t.test("an event's own policy applies, whatever order its tiers come in", async (t) => {
  const policy = [
    { minHoursBeforeStart: 0, percent: 10 },
    { minHoursBeforeStart: 72, percent: 90 },
  ]
  t.equal(refundPercent(policy, START, START - 80 * HOUR_MS), 90)
  t.equal(refundPercent(policy, START, START - 5 * HOUR_MS), 10)
})

t.test('refunds round down and never exceed what was paid minus what was refunded', async (t) => {
  t.equal(refundAmount(80, 999, 999, 0), 799)
  t.equal(refundAmount(100, 1000, 1000, 300), 700)
  t.equal(refundAmount(100, 1000, 1000, 1000), 0)
})

t.test('policy validation', async (t) => {
  t.equal(validateRefundPolicy(DEFAULT_REFUND_POLICY), undefined)
  t.equal(validateRefundPolicy([])?.reasonCode, 'VALIDATION_FAILED')
  t.equal(validateRefundPolicy([{ minHoursBeforeStart: 1, percent: 101 }])?.reasonCode, 'VALIDATION_FAILED')
  t.equal(
    validateRefundPolicy([
      { minHoursBeforeStart: 1, percent: 1 },
      { minHoursBeforeStart: 1, percent: 2 },
    ])?.reasonCode,
    'VALIDATION_FAILED',
  )
})

import t from 'tap'
import { validateRefundPolicy } from '../../processors/refund-policy.ts'

const tier = (minHoursBeforeStart: number, percent: number) => ({ minHoursBeforeStart, percent })
const tiers = (n: number) => Array.from({ length: n }, (_, i) => tier(i, 50))

t.test('a policy has 1 to 10 tiers: 0 and 11 are refused with the exact message', async (t) => {
  const count = { reasonCode: 'VALIDATION_FAILED', message: 'a policy has 1-10 tiers' }
  t.strictSame(validateRefundPolicy([]), count)
  t.equal(validateRefundPolicy(tiers(1)), undefined)
  t.equal(validateRefundPolicy(tiers(10)), undefined)
  t.strictSame(validateRefundPolicy(tiers(11)), count)
})

t.test('a tier percent is an integer 0-100', async (t) => {
  const percent = { reasonCode: 'VALIDATION_FAILED', message: 'tier percent must be 0-100' }
  t.equal(validateRefundPolicy([tier(1, 0)]), undefined)
  t.equal(validateRefundPolicy([tier(1, 100)]), undefined)
  t.strictSame(validateRefundPolicy([tier(1, -1)]), percent)
  t.strictSame(validateRefundPolicy([tier(1, 101)]), percent)
  t.strictSame(validateRefundPolicy([tier(1, 50.5)]), percent)
})

t.test('tier hours are an integer >= 0', async (t) => {
  const hours = { reasonCode: 'VALIDATION_FAILED', message: 'tier hours must be >= 0' }
  t.equal(validateRefundPolicy([tier(0, 10)]), undefined)
  t.strictSame(validateRefundPolicy([tier(-1, 10)]), hours)
  t.strictSame(validateRefundPolicy([tier(1.5, 10)]), hours)
})

t.test('tier hours are distinct', async (t) => {
  t.strictSame(validateRefundPolicy([tier(5, 10), tier(6, 20), tier(5, 30)]), {
    reasonCode: 'VALIDATION_FAILED',
    message: 'tier hours must be distinct',
  })
})

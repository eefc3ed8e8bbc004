// The small helpers of processors/ledger-state.ts and the upgrade of stored bookings, called directly.
import t from 'tap'
import type { PromoCodeSnapshot } from '../../avro/index.ts'
import {
  awaitsReconfirmation,
  holdDueMs,
  upgradeBooking,
  usePromo,
  type BookingState,
  type SeatTopUp,
  type StoredBookingState,
} from '../../processors/ledger-state.ts'
import { confirmedBooking, NOW, pendingTopUpOf, publishedEvent } from './ledger-fixtures.ts'

const topUp: SeatTopUp = pendingTopUpOf({ holdExpiresAtMs: NOW + 1000 })

t.test('holdDueMs: a pending top-up counts only on a CONFIRMED booking', async (t) => {
  t.equal(holdDueMs(confirmedBooking({ topUp })), NOW + 1000)
  t.equal(holdDueMs(confirmedBooking({ topUp: { ...topUp, status: 'EXPIRED' } })), null)
  t.equal(holdDueMs(confirmedBooking({ status: 'CANCELED', topUp })), null)
  t.equal(holdDueMs(confirmedBooking({ status: 'PENDING_PAYMENT', holdExpiresAtMs: NOW + 5 })), NOW + 5)
})

t.test(
  'awaitsReconfirmation: only active bookings made before the change and not re-confirmed',
  async (t) => {
    const event = publishedEvent({ lastRescheduledAtMs: NOW + 10 })
    t.equal(awaitsReconfirmation(event, confirmedBooking()), true)
    t.equal(awaitsReconfirmation(event, confirmedBooking({ status: 'CANCELED' })), false)
    t.equal(awaitsReconfirmation(event, confirmedBooking({ status: 'EXPIRED' })), false)
    t.equal(awaitsReconfirmation(publishedEvent(), confirmedBooking()), false, 'never rescheduled')
    t.equal(
      awaitsReconfirmation(event, confirmedBooking({ createdAtMs: NOW + 10 })),
      false,
      'made at the change',
    )
    t.equal(awaitsReconfirmation(event, confirmedBooking({ createdAtMs: NOW + 9 })), true)
    t.equal(
      awaitsReconfirmation(
        event,
        confirmedBooking({ reconfirmation: { scheduleChangedAtMs: NOW + 10, atMs: NOW + 11 } }),
      ),
      false,
    )
    t.equal(
      awaitsReconfirmation(
        event,
        confirmedBooking({ reconfirmation: { scheduleChangedAtMs: NOW + 3, atMs: NOW + 4 } }),
      ),
      true,
      'an earlier change re-confirmed',
    )
  },
)

t.test('usePromo: adds uses to the named code only; no code is no change', async (t) => {
  const promo: PromoCodeSnapshot = {
    code: 'A',
    kind: 'PERCENTAGE',
    value: 10,
    usageLimit: 5,
    used: 1,
    validFromMs: null,
    validUntilMs: NOW + 1000,
    active: true,
    maxUsesPerUser: null,
    cancelReturnsUse: false,
  }
  const event = publishedEvent({ promoCodes: [promo, { ...promo, code: 'B', used: 2 }] })
  t.equal(usePromo(event, null, 1), event, 'the same state')
  const used = usePromo(event, 'B', -1)
  t.same(
    used.promoCodes.map((p) => [p.code, p.used]),
    [
      ['A', 1],
      ['B', 1],
    ],
  )
})

/** The booking as stored before the added fields. */
function stored(b: BookingState, without: readonly string[]): StoredBookingState {
  const copy: Record<string, unknown> = { ...b }
  for (const key of without) delete copy[key]
  return copy as unknown as StoredBookingState
}

t.test('upgradeBooking: a current booking is returned as it is', async (t) => {
  const current = confirmedBooking({ seatsValueMinor: 1, charges: [], ticketIssue: 3, topUp, checkIns: [] })
  t.equal(upgradeBooking(current), current)
})

t.test('upgradeBooking: each missing field alone gets its default, the others are kept', async (t) => {
  const current = confirmedBooking({
    seatsValueMinor: 123,
    charges: [{ paymentId: 'px', amountMinor: 5, refundedMinor: 1 }],
    topUp,
    reconfirmation: { scheduleChangedAtMs: 1, atMs: 2 },
    ticketIssue: 7,
    checkIns: [{ code: 'c', scannedAtMs: 1, seats: 1, deviceId: null, requestId: 'r' }],
  })
  t.strictSame(upgradeBooking(stored(current, ['seatsValueMinor'])), { ...current, seatsValueMinor: 4000 })
  t.strictSame(upgradeBooking(stored(current, ['charges'])), {
    ...current,
    charges: [{ paymentId: 'p1', amountMinor: 4000, refundedMinor: 0 }],
  })
  t.strictSame(upgradeBooking(stored(current, ['topUp'])), { ...current, topUp: null })
  t.strictSame(upgradeBooking(stored(current, ['reconfirmation'])), { ...current, reconfirmation: null })
  t.strictSame(upgradeBooking(stored(current, ['ticketIssue'])), { ...current, ticketIssue: 0 })
  t.strictSame(upgradeBooking(stored(current, ['checkIns'])), { ...current, checkIns: [] })
})

const ADDED = ['seatsValueMinor', 'charges', 'topUp', 'reconfirmation', 'ticketIssue', 'checkIns']

t.test('upgradeBooking: one payment partly refunded is one charge with its refund', async (t) => {
  const old = stored(confirmedBooking({ amountMinor: 3000, refundedMinor: 1000, refundCount: 1 }), ADDED)
  t.strictSame(
    upgradeBooking(old),
    confirmedBooking({
      amountMinor: 3000,
      refundedMinor: 1000,
      refundCount: 1,
      seatsValueMinor: 3000,
      charges: [{ paymentId: 'p1', amountMinor: 4000, refundedMinor: 1000 }],
      ticketIssue: 0,
    }),
  )
})

t.test('upgradeBooking: a duplicate payment is not part of the charge', async (t) => {
  const old = stored(
    confirmedBooking({
      paidMinor: 8000,
      refundedMinor: 4000,
      refundCount: 1,
      paymentId: 'p2',
      settledPaymentIds: ['p1', 'p2'],
    }),
    ADDED,
  )
  const upgraded = upgradeBooking(old)
  t.strictSame(upgraded.charges, [{ paymentId: 'p1', amountMinor: 4000, refundedMinor: 0 }])
  t.equal(upgraded.seatsValueMinor, 4000)
})

t.test('upgradeBooking: an unpaid booking has no charge and no seats value', async (t) => {
  const old = stored(
    confirmedBooking({ status: 'PENDING_PAYMENT', paidMinor: 0, paymentId: null, settledPaymentIds: [] }),
    ADDED,
  )
  const upgraded = upgradeBooking(old)
  t.strictSame(upgraded.charges, [])
  t.equal(upgraded.seatsValueMinor, 0)
})

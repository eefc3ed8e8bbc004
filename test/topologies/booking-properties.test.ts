// Property: random interleavings of booking commands, payments, repeats and clock moves on one event
// never break the invariants of DESIGN.md, checked after every step from the stores and the outputs.
import fc from 'fast-check'
import t from 'tap'
import type { BookingCommand, RequestOutcome } from '../../avro/index.ts'
import { LEDGER_STORES } from '../../processors/event-ledger.ts'
import type { BookingState, EventState } from '../../processors/ledger-state.ts'
import {
  BookingHarness,
  bookingCommand,
  bookingSerdes,
  bookRequest,
  eventCommand,
  HOUR_MS,
  nextRequestId,
  T0,
  user,
} from './booking-harness.ts'

const USERS = ['u1', 'u2', 'u3', 'u4', 'u5']
const BOOKINGS = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6']
const CAPACITY = 7
const PROMO_LIMIT = 2

type Step =
  | {
      kind: 'request'
      userId: string
      bookingId: string
      seats: number
      option: 'std' | 'vip'
      promo: boolean
    }
  | { kind: 'cancel'; userId: string; bookingId: string }
  | { kind: 'change'; userId: string; bookingId: string; seats: number }
  | { kind: 'pay'; bookingId: string; status: 'COMPLETED' | 'FAILED'; exact: boolean; paymentNo: number }
  | { kind: 'join'; userId: string; seats: number }
  | { kind: 'leave'; userId: string }
  | { kind: 'clock'; ms: number }
  | { kind: 'repeat'; index: number }

const userArb = fc.constantFrom(...USERS)
const bookingArb = fc.constantFrom(...BOOKINGS)
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('request' as const),
      userId: userArb,
      bookingId: bookingArb,
      seats: fc.integer({ min: 1, max: 4 }),
      option: fc.constantFrom('std' as const, 'vip' as const),
      promo: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('cancel' as const), userId: userArb, bookingId: bookingArb }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('change' as const),
      userId: userArb,
      bookingId: bookingArb,
      seats: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      bookingId: bookingArb,
      status: fc.constantFrom('COMPLETED' as const, 'FAILED' as const),
      exact: fc.boolean(),
      paymentNo: fc.integer({ min: 1, max: 2 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('join' as const),
      userId: userArb,
      seats: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), userId: userArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('clock' as const),
      ms: fc.constantFrom(1000, 20 * 60_000, HOUR_MS, 2 * HOUR_MS + 1000),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('repeat' as const), index: fc.nat() }) },
)

t.test(
  'random interleavings keep seats, promo uses, active bookings, refunds and outcomes right',
  async (t) => {
    const serdes = await bookingSerdes()
    let runs = 0
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 50 }), (steps) => {
        runs++
        const h = new BookingHarness(serdes)
        try {
          h.publishedEvent('ev', { capacity: CAPACITY, allotment: 5, priceMinor: 1000 })
          const setup = [
            h.event(
              eventCommand('ev', 'ADD_PRICE_OPTION', {
                priceOption: {
                  priceOptionId: 'vip',
                  name: 'Free',
                  priceMinor: 0,
                  allotment: 2,
                  validFromMs: null,
                  validUntilMs: null,
                },
              }),
            ),
            h.event(
              eventCommand('ev', 'CREATE_PROMO_CODE', {
                createPromoCode: {
                  code: 'SALE',
                  kind: 'PERCENTAGE',
                  value: 50,
                  usageLimit: PROMO_LIMIT,
                  validFromMs: null,
                  validUntilMs: T0 + 100 * 24 * HOUR_MS,
                },
              }),
            ),
          ]
          if (!setup.every((o) => o.accepted)) throw new Error('setup refused')
          h.drain()
          const sent: BookingCommand[] = []
          const outcomes = new Map<string, RequestOutcome>()
          const refundsByBooking = new Map<string, number>()
          for (const step of steps) {
            let command: BookingCommand | undefined
            switch (step.kind) {
              case 'request':
                command = bookRequest(
                  'ev',
                  step.userId,
                  step.bookingId,
                  step.seats,
                  step.option,
                  step.promo ? 'SALE' : null,
                )
                break
              case 'cancel':
                command = bookingCommand(
                  'ev',
                  'CANCEL',
                  { cancel: { bookingId: step.bookingId, reason: null, forceMajeure: false } },
                  user(step.userId),
                )
                break
              case 'change':
                command = bookingCommand(
                  'ev',
                  'CHANGE_SEATS',
                  { changeSeats: { bookingId: step.bookingId, seats: step.seats } },
                  user(step.userId),
                )
                break
              case 'join':
                command = bookingCommand(
                  'ev',
                  'JOIN_WAITING_LIST',
                  { joinWaitingList: { userId: step.userId, seats: step.seats } },
                  user(step.userId),
                )
                break
              case 'leave':
                command = bookingCommand(
                  'ev',
                  'LEAVE_WAITING_LIST',
                  { leaveWaitingList: { userId: step.userId } },
                  user(step.userId),
                )
                break
              case 'repeat':
                command = sent.length === 0 ? undefined : sent[step.index % sent.length]
                break
              case 'pay': {
                const booking = h.driver
                  .getKeyValueStore<string, BookingState>(LEDGER_STORES.bookings)
                  .get(`ev/${step.bookingId}`)
                const amount =
                  booking === undefined ? 1000 : step.exact ? booking.amountMinor : booking.amountMinor + 1
                h.payment(
                  'ev',
                  step.bookingId,
                  step.status,
                  amount,
                  `pay-${step.bookingId}-${step.paymentNo}`,
                )
                break
              }
              case 'clock':
                h.driver.advanceWallClockTime(step.ms)
                break
            }
            if (command !== undefined) {
              const outcome =
                step.kind === 'repeat' ? h.booking(command) : (sent.push(command), h.booking(command))
              const first = outcomes.get(command.requestId)
              if (first === undefined) outcomes.set(command.requestId, outcome)
              else if (JSON.stringify(first) !== JSON.stringify(outcome))
                throw new Error(`second outcome for ${command.requestId}`)
            }
            for (const [, refund] of h.refunds.readKeyValuesToList())
              // A payment for a booking that did not exist yet is refunded whole, apart from any booking.
              if (refund!.reason !== 'UNKNOWN_BOOKING')
                refundsByBooking.set(
                  refund!.bookingId,
                  (refundsByBooking.get(refund!.bookingId) ?? 0) + refund!.amountMinor,
                )
            checkInvariants(h, refundsByBooking)
          }
          const stray = h.outcomes.readKeyValuesToList()
          if (stray.length > 0) throw new Error('an outcome without a command')
        } finally {
          h.close()
        }
      }),
      { numRuns: 300, seed: Number(process.env.FC_SEED ?? 20260101) },
    )
    t.ok(runs >= 300, `${runs} interleavings checked`)
  },
)

function checkInvariants(h: BookingHarness, refundsByBooking: ReadonlyMap<string, number>): void {
  const event = h.driver.getKeyValueStore<string, EventState>(LEDGER_STORES.events).get('ev')!
  const bookings = [...h.driver.getKeyValueStore<string, BookingState>(LEDGER_STORES.bookings).all()].map(
    ([, b]) => b,
  )
  const active = bookings.filter((b) => b.status === 'PENDING_PAYMENT' || b.status === 'CONFIRMED')
  let total = 0
  for (const option of event.priceOptions) {
    const seats = active
      .filter((b) => b.priceOptionId === option.priceOptionId)
      .reduce((sum, b) => sum + b.seats, 0)
    if (seats > option.allotment)
      throw new Error(`oversold option ${option.priceOptionId}: ${seats} > ${option.allotment}`)
    if (seats !== option.taken)
      throw new Error(`option ${option.priceOptionId} counts ${option.taken}, bookings hold ${seats}`)
    total += seats
  }
  if (total > event.capacity) throw new Error(`oversold event: ${total} > ${event.capacity}`)
  if (total !== event.seatsTaken) throw new Error(`event counts ${event.seatsTaken}, bookings hold ${total}`)
  for (const promo of event.promoCodes) {
    if (promo.used > promo.usageLimit)
      throw new Error(`promo ${promo.code} used ${promo.used} > ${promo.usageLimit}`)
  }
  const users = new Set<string>()
  for (const b of active) {
    if (users.has(b.userId)) throw new Error(`user ${b.userId} has two active bookings`)
    users.add(b.userId)
  }
  for (const b of bookings) {
    if (b.refundedMinor > b.paidMinor)
      throw new Error(`booking ${b.bookingId} refunded ${b.refundedMinor} > paid ${b.paidMinor}`)
    const requested = refundsByBooking.get(b.bookingId) ?? 0
    if (requested > b.paidMinor)
      throw new Error(`refund requests ${requested} > paid ${b.paidMinor} on ${b.bookingId}`)
    if (requested !== b.refundedMinor)
      throw new Error(`refund requests ${requested} != booked refunds ${b.refundedMinor}`)
  }
}

void nextRequestId

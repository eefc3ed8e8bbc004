// Property: random interleavings of booking commands (seat changes of paid bookings, held as top-ups,
// included), payments, re-confirmations, reschedules, an event cancel, repeats and clock moves on one event
// never break the invariants of DESIGN.md, checked after every step from the stores and the outputs.
import fc from 'fast-check'
import t from 'tap'
import type { BookingCommand, RequestOutcome } from '../../avro/index.ts'
import { LEDGER_STORES } from '../../processors/ledger-stores.ts'
import { pendingTopUp, seatsHeld, type BookingState, type EventState } from '../../processors/ledger-state.ts'
import {
  BookingHarness,
  bookingCommand,
  bookingSerdes,
  bookRequest,
  DAY_MS,
  eventCommand,
  HOUR_MS,
  nextRequestId,
  ORGANIZER,
  T0,
  user,
} from './booking-harness.ts'

const USERS = ['u1', 'u2', 'u3', 'u4', 'u5']
const BOOKINGS = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6']
const CAPACITY = 9
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
  | { kind: 'cancel'; userId: string; bookingId: string; pick: number | null; asOwner: boolean }
  | {
      kind: 'change'
      userId: string
      bookingId: string
      pick: number | null
      seats: number
      asOwner: boolean
    }
  | {
      kind: 'pay'
      bookingId: string
      status: 'COMPLETED' | 'FAILED' | 'INITIATED'
      amount: 'exact' | 'over' | 'under'
      paymentNo: number
      pick: number | null
      started: boolean
    }
  | { kind: 'reconfirm'; userId: string; bookingId: string; pick: number | null; asOwner: boolean }
  | { kind: 'reschedule'; restore: boolean }
  | { kind: 'cancelEvent' }
  | { kind: 'join'; userId: string; seats: number }
  | { kind: 'leave'; userId: string }
  | { kind: 'clock'; ms: number }
  | { kind: 'repeat'; index: number }

const userArb = fc.constantFrom(...USERS)
const bookingArb = fc.constantFrom(...BOOKINGS)
/**
 * Mostly one of the active bookings (picked when the step runs), else the step's random booking ID:
 * commands and payments for bookings that do not exist cover little.
 */
const pickArb = fc.option(fc.nat(), { freq: 4 })
/** Mostly the booking's own user (commands of others are refused FORBIDDEN and cover little else). */
const asOwnerArb = fc.constantFrom(true, true, true, false)
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
    arbitrary: fc.record({
      kind: fc.constant('cancel' as const),
      userId: userArb,
      bookingId: bookingArb,
      pick: pickArb,
      asOwner: asOwnerArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('change' as const),
      userId: userArb,
      bookingId: bookingArb,
      pick: pickArb,
      seats: fc.integer({ min: 1, max: 5 }),
      asOwner: asOwnerArb,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      bookingId: bookingArb,
      pick: pickArb,
      status: fc.constantFrom(
        'COMPLETED' as const,
        'COMPLETED' as const,
        'FAILED' as const,
        'INITIATED' as const,
      ),
      amount: fc.constantFrom('exact' as const, 'exact' as const, 'over' as const, 'under' as const),
      paymentNo: fc.integer({ min: 1, max: 4 }),
      /** A FAILED after its INITIATED (a started payment failing), else a stray or redelivered one. */
      started: fc.constantFrom(true, true, false),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reconfirm' as const),
      userId: userArb,
      bookingId: bookingArb,
      pick: pickArb,
      asOwner: asOwnerArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reschedule' as const), restore: fc.boolean() }) },
  {
    weight: 2,
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

// A third of the runs cancel the event somewhere among their steps (it ends every booking, top-up and
// waiting-list entry, so the rest of such a run is mostly refusals).
const runArb = fc
  .tuple(fc.array(stepArb, { minLength: 1, maxLength: 60, size: 'max' }), fc.option(fc.nat(), { freq: 2 }))
  .map(([steps, cancelAt]): Step[] =>
    cancelAt === null ? steps : steps.toSpliced(cancelAt % (steps.length + 1), 0, { kind: 'cancelEvent' }),
  )

t.test(
  'random interleavings keep seats, promo uses, active bookings, refunds and outcomes right',
  async (t) => {
    const serdes = await bookingSerdes()
    let runs = 0
    // Booking fact types (with the reason code where there is one) over all runs: the generator must reach
    // the paths it is meant to cover.
    const seen = new Map<string, number>()
    fc.assert(
      fc.property(runArb, (steps) => {
        runs++
        const h = new BookingHarness(serdes)
        try {
          h.publishedEvent('ev', { capacity: CAPACITY, allotment: 7, priceMinor: 1000 })
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
          // What each settled payment brought (the ledger settles a payment ID once, when its booking exists),
          // and the refunds requested back to it.
          const paidByPayment = new Map<string, number>()
          const refundsByPayment = new Map<string, number>()
          let reschedules = 0
          const actorOf = (step: { userId: string; bookingId: string; asOwner: boolean }) =>
            user(
              (step.asOwner
                ? h.driver
                    .getKeyValueStore<string, BookingState>(LEDGER_STORES.bookings)
                    .get(`ev/${step.bookingId}`)?.userId
                : undefined) ?? step.userId,
            )
          const target = <S extends { bookingId: string; pick: number | null }>(step: S): S => {
            if (step.pick === null) return step
            const active = [...h.driver.getKeyValueStore<string, BookingState>(LEDGER_STORES.bookings).all()]
              .map(([, b]) => b)
              .filter((b) => b.status === 'PENDING_PAYMENT' || b.status === 'CONFIRMED')
            if (active.length === 0) return step
            return { ...step, bookingId: active[step.pick % active.length]!.bookingId }
          }
          for (const drawn of steps) {
            const step = 'pick' in drawn ? target(drawn) : drawn
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
                  actorOf(step),
                )
                break
              case 'change':
                command = bookingCommand(
                  'ev',
                  'CHANGE_SEATS',
                  { changeSeats: { bookingId: step.bookingId, seats: step.seats } },
                  actorOf(step),
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
              case 'reconfirm':
                command = bookingCommand(
                  'ev',
                  'RECONFIRM',
                  { reconfirm: { bookingId: step.bookingId } },
                  actorOf(step),
                )
                break
              case 'reschedule': {
                const startsAtMs = T0 + (30 + (++reschedules % 3)) * DAY_MS
                const outcome = h.event(
                  step.restore
                    ? eventCommand('ev', 'RESTORE_SCHEDULE', {}, ORGANIZER)
                    : eventCommand('ev', 'RESCHEDULE', {
                        reschedule: {
                          startsAtMs,
                          endsAtMs: startsAtMs + DAY_MS,
                          place: `Place ${reschedules}`,
                        },
                      }),
                )
                outcomes.set(outcome.requestId, outcome)
                break
              }
              case 'cancelEvent': {
                const outcome = h.event(eventCommand('ev', 'CANCEL', { cancel: { reason: 'storm' } }))
                outcomes.set(outcome.requestId, outcome)
                break
              }
              case 'pay': {
                const booking = h.driver
                  .getKeyValueStore<string, BookingState>(LEDGER_STORES.bookings)
                  .get(`ev/${step.bookingId}`)
                // What the booking asks for now: a pending top-up's price, else the amount due.
                const due =
                  booking === undefined ? 1000 : (pendingTopUp(booking)?.amountMinor ?? booking.amountMinor)
                const amount =
                  step.amount === 'exact' ? due : step.amount === 'over' ? due + 1 : Math.max(0, due - 1)
                const paymentId = `pay-${step.bookingId}-${step.paymentNo}`
                if (booking !== undefined && step.status === 'COMPLETED' && !paidByPayment.has(paymentId))
                  paidByPayment.set(paymentId, amount)
                if (step.status === 'FAILED' && step.started)
                  h.payment('ev', step.bookingId, 'INITIATED', amount, paymentId)
                h.payment('ev', step.bookingId, step.status, amount, paymentId)
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
            for (const [, refund] of h.refunds.readKeyValuesToList()) {
              // A payment for a booking that did not exist yet is refunded whole, apart from any booking.
              if (refund!.reason === 'UNKNOWN_BOOKING') continue
              refundsByBooking.set(
                refund!.bookingId,
                (refundsByBooking.get(refund!.bookingId) ?? 0) + refund!.amountMinor,
              )
              const paymentId = refund!.paymentId ?? '(none)'
              const back = (refundsByPayment.get(paymentId) ?? 0) + refund!.amountMinor
              refundsByPayment.set(paymentId, back)
              if (back > (paidByPayment.get(paymentId) ?? 0))
                throw new Error(
                  `refunds ${back} to ${paymentId} > its payment ${paidByPayment.get(paymentId)}`,
                )
            }
            for (const [, fact] of h.bookingEvents.readKeyValuesToList()) {
              // A SEATS_CHANGED fact without a request ID is a top-up confirmed by its payment.
              const key =
                fact!.reasonCode !== null
                  ? `${fact!.type}/${fact!.reasonCode}`
                  : fact!.type === 'SEATS_CHANGED' && fact!.requestId === null
                    ? 'SEATS_CHANGED/top-up paid'
                    : fact!.type
              seen.set(key, (seen.get(key) ?? 0) + 1)
            }
            checkInvariants(h, refundsByBooking)
          }
          const stray = h.outcomes.readKeyValuesToList()
          if (stray.length > 0) throw new Error('an outcome without a command')
        } finally {
          h.close()
        }
      }),
      { numRuns: 600, seed: Number(process.env.FC_SEED ?? 20260101) },
    )
    t.ok(runs >= 600, `${runs} interleavings checked`)
    t.comment(JSON.stringify(Object.fromEntries([...seen].sort())))
    for (const path of [
      'SEATS_CHANGE_HELD',
      'SEATS_CHANGED/top-up paid',
      'SEATS_CHANGE_RELEASED',
      'SEATS_CHANGE_RELEASED/EXPIRED',
      'SEATS_CHANGE_RELEASED/PAYMENT_FAILED',
      'RECONFIRMED',
      'CANCELED/EVENT_CANCELED',
      'LATE_PAYMENT_REFUNDED/VALIDATION_FAILED',
    ])
      t.ok((seen.get(path) ?? 0) > 0, `the generator reaches ${path}`)
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
    // Confirmed plus pending seats: holds, and the extra seats of pending top-ups.
    const seats = active
      .filter((b) => b.priceOptionId === option.priceOptionId)
      .reduce((sum, b) => sum + seatsHeld(b), 0)
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
    for (const charge of b.charges)
      if (charge.refundedMinor > charge.amountMinor)
        throw new Error(`booking ${b.bookingId} refunded ${charge.refundedMinor} of ${charge.paymentId}`)
    const topUp = pendingTopUp(b)
    if (topUp !== null && (b.status !== 'CONFIRMED' || topUp.seats <= b.seats || topUp.amountMinor <= 0))
      throw new Error(`booking ${b.bookingId} has a malformed pending top-up`)
    if (b.status === 'CONFIRMED') {
      // The net charge is what was paid and not refunded, all of it in the charges; the seats' value (the
      // base of policy refunds) is part of it, the rest being retained fees.
      const net = b.paidMinor - b.refundedMinor
      const inCharges = b.charges.reduce((sum, c) => sum + c.amountMinor - c.refundedMinor, 0)
      if (b.amountMinor !== net || inCharges !== net)
        throw new Error(
          `booking ${b.bookingId}: amount ${b.amountMinor}, net paid ${net}, charges ${inCharges}`,
        )
      if (b.seatsValueMinor < 0 || b.seatsValueMinor > b.amountMinor)
        throw new Error(`booking ${b.bookingId}: seat value ${b.seatsValueMinor} outside 0..${b.amountMinor}`)
    }
    const timer = h.driver
      .getKeyValueStore<string, { dueMs: number }>(LEDGER_STORES.holdTimers)
      .get(`ev/${b.bookingId}`)
    const dueMs =
      b.status === 'PENDING_PAYMENT'
        ? b.holdExpiresAtMs
        : b.status === 'CONFIRMED'
          ? (topUp?.holdExpiresAtMs ?? null)
          : null
    if ((timer?.dueMs ?? null) !== dueMs)
      throw new Error(`booking ${b.bookingId}: hold timer ${timer?.dueMs} != hold ${dueMs}`)
  }
}

void nextRequestId

import { readFileSync } from 'node:fs'
import { PAYMENT_STATUS_V1_FIELDS } from '../../../processors/index.ts'
// The analytics tests' common ground: a booking topology running on EmbeddedStreams over an in-memory (or
// durable) EmbeddedLog with a hand-moved clock, JSON view and favorite records next to it, and a scenario
// whose expected figures are computed from the scenario's own plan, never from the topology's outputs.
import type { Actor, BookingCommand, EventCommand } from '../../../avro/index.ts'
import { LocalSchemaRegistry } from '../../../avro/index.ts'
import { createClickHouse, migrate, type ClickHouseClient } from '../../../read-models/analytics/index.ts'
import { DEFAULT_TOPIC_NAMES } from '../../../topologies/index.ts'
import { TOPICS } from '../../../infra/topics.ts'
import {
  defaultPartitioner,
  EmbeddedLog,
  EmbeddedStreams,
  ManualClock,
  stringSerde,
  type TopicSpec,
} from '../../../streams/index.ts'
import {
  buildBookingTopology,
  createBookingSerdes,
  type BookingSerdes,
} from '../../../topologies/booking-topology.ts'
import { DEFAULT_TOPIC_NAMES as topics } from '../../../topologies/index.ts'
import {
  bookingCommand,
  bookRequest,
  createPayload,
  eventCommand,
  T0,
  user,
} from '../../topologies/booking-harness.ts'

export { T0 }
export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS

/** The JSON topics, declared like the others (12 partitions, keyed by event). */
export const JSON_TOPICS: TopicSpec[] = [DEFAULT_TOPIC_NAMES.views, DEFAULT_TOPIC_NAMES.favorites].map(
  (name) => ({
    name,
    partitions: 12,
    cleanupPolicy: 'delete',
    retentionMs: null,
  }),
)

let serdesPromise: Promise<BookingSerdes> | undefined
export function analyticsSerdes(): Promise<BookingSerdes> {
  serdesPromise ??= (async () => {
    const serdes = createBookingSerdes(new LocalSchemaRegistry())
    await serdes.init()
    return serdes
  })()
  return serdesPromise
}

let clientOfProcess: ClickHouseClient | undefined
/** One chDB client per test process (chDB runs one engine per process); a fresh migrated database per call. */
export async function freshDatabase(name: string): Promise<{ client: ClickHouseClient; database: string }> {
  clientOfProcess ??= createClickHouse()
  const database = `t_${name}_${process.pid}`
  await clientOfProcess.command({ query: `DROP DATABASE IF EXISTS ${database}` })
  await migrate(clientOfProcess, { database })
  return { client: clientOfProcess, database }
}

export async function closeClient(): Promise<void> {
  await clientOfProcess?.close()
  clientOfProcess = undefined
}

/** The booking topology on a log of its own, driven by hand (append, then run until idle). */
export class BookingPipeline {
  readonly log: EmbeddedLog
  readonly clock = new ManualClock(T0)
  readonly serdes: BookingSerdes
  readonly #streams: EmbeddedStreams

  constructor(serdes: BookingSerdes, dir?: string) {
    this.serdes = serdes
    this.log = EmbeddedLog.open(dir === undefined ? {} : { dir, fsyncIntervalMs: 1000 })
    this.log.createTopics(JSON_TOPICS)
    this.#streams = new EmbeddedStreams(buildBookingTopology({ serdes }), {
      applicationId: 'analytics-test',
      deadLetterTopic: DEFAULT_TOPIC_NAMES.deadLetters,
      topics: TOPICS,
      clock: this.clock,
      log: this.log,
    })
    this.#streams.startSync()
  }

  #append(topic: string, key: string, value: Buffer): void {
    const k = stringSerde.serialize(topic, key)
    const partition = defaultPartitioner(topic, k, value, this.log.partitions(topic))
    this.log.append([{ topic, partition, key: k, value, timestamp: this.clock.now(), headers: {} }])
    this.#streams.runUntilIdle()
    if (this.#streams.failure !== undefined) throw this.#streams.failure
  }

  event(command: EventCommand): void {
    this.#append(
      topics.eventCommands,
      command.eventId,
      this.serdes.eventCommand.serialize(topics.eventCommands, command),
    )
  }

  booking(command: BookingCommand): void {
    this.#append(
      topics.bookingCommands,
      command.eventId,
      this.serdes.bookingCommand.serialize(topics.bookingCommands, command),
    )
  }

  payment(
    eventId: string,
    bookingId: string,
    status: 'COMPLETED' | 'FAILED',
    amountMinor: number,
    paymentId: string,
  ) {
    this.#append(
      topics.paymentStatus,
      eventId,
      this.serdes.paymentStatus.serialize(topics.paymentStatus, {
        paymentId,
        bookingId,
        eventId,
        status,
        amountMinor,
        occurredAtMs: this.clock.now(),
        ...PAYMENT_STATUS_V1_FIELDS,
      }),
    )
  }

  /** A JSON record as the query API produces it. */
  json(topic: string, eventId: string, value: object): void {
    this.#append(topic, eventId, Buffer.from(JSON.stringify(value)))
  }

  advance(ms: number): void {
    this.clock.advance(ms)
    this.#streams.runUntilIdle()
  }

  async close(): Promise<void> {
    await this.#streams.close()
    this.log.close()
  }
}

/** Per event and UTC day (`eventId|YYYY-MM-DD`), the figures the daily aggregates must show. */
export interface DayFigures {
  views: number
  uniqueViewers: Set<string>
  favoritesAdded: number
  favoritesRemoved: number
  requests: number
  holds: number
  confirmed: number
  rejected: number
  canceled: number
  expired: number
  paymentFailed: number
  reconfirmed: number
  seatsHeld: number
  seatsConfirmed: number
  seatsReleased: number
  revenueMinor: number
  revenueRefundMinor: number
  promoUses: number
  refunds: number
  refundMinor: number
  paymentsCompleted: number
  paymentsFailed: number
  eventsPublished: number
  eventsCanceled: number
}

export interface Expected {
  readonly days: Map<string, DayFigures>
  readonly organizerOf: Map<string, string>
  /** `eventId|priceOptionId` → revenue, confirmed */
  readonly priceOptions: Map<string, { revenueMinor: number; confirmed: number }>
  /** `eventId|code` → uses */
  readonly promoUses: Map<string, number>
  /** reason → amount */
  readonly refundsByReason: Map<string, { refunds: number; amountMinor: number }>
  /** booking fact type → count */
  readonly bookingTypes: Map<string, number>
  readonly bookingFacts: number
}

const blank = (): DayFigures => ({
  views: 0,
  uniqueViewers: new Set(),
  favoritesAdded: 0,
  favoritesRemoved: 0,
  requests: 0,
  holds: 0,
  confirmed: 0,
  rejected: 0,
  canceled: 0,
  expired: 0,
  paymentFailed: 0,
  reconfirmed: 0,
  seatsHeld: 0,
  seatsConfirmed: 0,
  seatsReleased: 0,
  revenueMinor: 0,
  revenueRefundMinor: 0,
  promoUses: 0,
  refunds: 0,
  refundMinor: 0,
  paymentsCompleted: 0,
  paymentsFailed: 0,
  eventsPublished: 0,
  eventsCanceled: 0,
})

export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

interface PlannedEvent {
  readonly eventId: string
  readonly organizer: Actor
  readonly capacity: number
  readonly options: readonly { id: string; priceMinor: number; allotment: number }[]
  readonly promo: string | null
}

const EVENTS: readonly PlannedEvent[] = [
  {
    eventId: 'e1',
    organizer: { userId: 'org-1', role: 'ORGANIZER' },
    capacity: 200,
    options: [
      { id: 'std', priceMinor: 500_000, allotment: 150 },
      { id: 'vip', priceMinor: 1_200_000, allotment: 50 },
    ],
    promo: 'SAVE10',
  },
  {
    eventId: 'e2',
    organizer: { userId: 'org-1', role: 'ORGANIZER' },
    capacity: 100,
    options: [{ id: 'std', priceMinor: 0, allotment: 100 }],
    promo: null,
  },
  {
    eventId: 'e3',
    organizer: { userId: 'org-2', role: 'ORGANIZER' },
    capacity: 100,
    options: [{ id: 'std', priceMinor: 300_000, allotment: 100 }],
    promo: null,
  },
]

/**
 * Runs three days of bookings on three events (two organizers; paid, free, promo, VIP), payments completed
 * and failed, holds expiring, rejections, views and favorites; on the fourth day user cancellations, a
 * duplicate payment, the cancellation of e3, seat changes of confirmed e1 bookings (a top-up paid, then
 * a seat reduction refunded to both payments; top-ups released by a failed payment, by expiry and by
 * withdrawal; a booking canceled with its top-up pending) and a re-confirmation after e2 is rescheduled.
 * Returns what every aggregate must show, computed from the plan alone.
 */
export function runScenario(p: BookingPipeline, bookingsPerDay = 8): Expected {
  const days = new Map<string, DayFigures>()
  const at = (eventId: string): DayFigures => {
    const k = `${eventId}|${dayOf(p.clock.now())}`
    let d = days.get(k)
    if (d === undefined) days.set(k, (d = blank()))
    return d
  }
  const priceOptions = new Map<string, { revenueMinor: number; confirmed: number }>()
  const promoUses = new Map<string, number>()
  const refundsByReason = new Map<string, { refunds: number; amountMinor: number }>()
  const bookingTypes = new Map<string, number>()
  const organizerOf = new Map(EVENTS.map((e) => [e.eventId, e.organizer.userId]))
  const fact = (type: string) => bookingTypes.set(type, (bookingTypes.get(type) ?? 0) + 1)
  const refund = (eventId: string, reason: string, amount: number) => {
    at(eventId).refunds++
    at(eventId).refundMinor += amount
    const r = refundsByReason.get(reason) ?? { refunds: 0, amountMinor: 0 }
    refundsByReason.set(reason, { refunds: r.refunds + 1, amountMinor: r.amountMinor + amount })
  }
  const confirmedBookings: {
    eventId: string
    bookingId: string
    userId: string
    seats: number
    paid: number
    option: string
    promo: string | null
  }[] = []

  p.advance(HOUR_MS)
  for (const e of EVENTS) {
    p.event(
      eventCommand(e.eventId, 'CREATE', { create: createPayload({ capacity: e.capacity }) }, e.organizer),
    )
    for (const o of e.options)
      p.event(
        eventCommand(
          e.eventId,
          'ADD_PRICE_OPTION',
          {
            priceOption: {
              priceOptionId: o.id,
              name: o.id.toUpperCase(),
              priceMinor: o.priceMinor,
              allotment: o.allotment,
              validFromMs: null,
              validUntilMs: null,
            },
          },
          e.organizer,
        ),
      )
    if (e.promo !== null)
      p.event(
        eventCommand(
          e.eventId,
          'CREATE_PROMO_CODE',
          {
            createPromoCode: {
              code: e.promo,
              kind: 'PERCENTAGE',
              value: 10,
              usageLimit: 100,
              validFromMs: null,
              validUntilMs: T0 + 10 * DAY_MS,
              maxUsesPerUser: null,
              cancelReturnsUse: false,
            },
          },
          e.organizer,
        ),
      )
    p.event(eventCommand(e.eventId, 'PUBLISH', { publish: { publishAtMs: null } }, e.organizer))
    at(e.eventId).eventsPublished++
  }

  for (let day = 0; day < 3; day++) {
    if (day > 0) p.advance(T0 + day * DAY_MS + HOUR_MS - p.clock.now()) // to 01:00 of the day
    const unpaid: { eventId: string; seats: number }[] = []
    for (const e of EVENTS) {
      const d = at(e.eventId)
      for (let i = 0; i < bookingsPerDay; i++) {
        const userId = `u-${e.eventId}-${day}-${i}`
        const bookingId = `b-${e.eventId}-${day}-${i}`
        const seats = 1 + (i % 3)
        const option = e.options.length > 1 && i % 4 === 0 ? e.options[1]! : e.options[0]!
        const promo = e.promo !== null && i % 5 === 0 ? e.promo : null
        const gross = option.priceMinor * seats
        const amount = promo === null ? gross : gross - Math.floor((gross * 10) / 100)
        p.booking(bookRequest(e.eventId, userId, bookingId, seats, option.id, promo))
        d.requests++
        d.holds++
        d.seatsHeld += seats
        if (promo !== null) {
          d.promoUses++
          promoUses.set(`${e.eventId}|${promo}`, (promoUses.get(`${e.eventId}|${promo}`) ?? 0) + 1)
        }
        const po = priceOptions.get(`${e.eventId}|${option.id}`) ?? { revenueMinor: 0, confirmed: 0 }
        priceOptions.set(`${e.eventId}|${option.id}`, po)
        if (amount === 0) {
          fact('CONFIRMED')
          d.confirmed++
          d.seatsConfirmed += seats
          po.confirmed++
          confirmedBookings.push({
            eventId: e.eventId,
            bookingId,
            userId,
            seats,
            paid: 0,
            option: option.id,
            promo,
          })
          continue
        }
        fact('HELD')
        if (i % 6 === 5) {
          unpaid.push({ eventId: e.eventId, seats })
        } else if (i % 7 === 3) {
          p.payment(e.eventId, bookingId, 'FAILED', amount, `pay-${bookingId}`)
          fact('PAYMENT_FAILED')
          d.paymentsFailed++
          d.paymentFailed++
          d.seatsReleased += seats
        } else {
          p.payment(e.eventId, bookingId, 'COMPLETED', amount, `pay-${bookingId}`)
          fact('CONFIRMED')
          d.paymentsCompleted++
          d.confirmed++
          d.seatsConfirmed += seats
          d.revenueMinor += amount
          po.confirmed++
          po.revenueMinor += amount
          confirmedBookings.push({
            eventId: e.eventId,
            bookingId,
            userId,
            seats,
            paid: amount,
            option: option.id,
            promo,
          })
        }
      }
      // One request refused every day: more than 20 seats.
      p.booking(bookRequest(e.eventId, `r-${e.eventId}-${day}`, `rb-${e.eventId}-${day}`, 21))
      fact('REJECTED')
      d.requests++
      d.rejected++
      for (let j = 0; j < 5 * (day + 1); j++) {
        const sessionId = `s-${j % 3}`
        p.json(DEFAULT_TOPIC_NAMES.views, e.eventId, {
          viewId: `v-${e.eventId}-${day}-${j}`,
          eventId: e.eventId,
          userId: null,
          sessionId,
          occurredAtMs: p.clock.now(),
        })
        d.views++
        d.uniqueViewers.add(sessionId)
      }
      for (let j = 0; j < 4; j++) {
        const action = j === 3 ? 'REMOVED' : 'ADDED'
        p.json(DEFAULT_TOPIC_NAMES.favorites, e.eventId, {
          eventId: e.eventId,
          userId: `f-${j % 3}`,
          action,
          occurredAtMs: p.clock.now(),
        })
        if (action === 'ADDED') d.favoritesAdded++
        else d.favoritesRemoved++
      }
    }
    p.advance(3 * HOUR_MS) // holds (2 h) of the unpaid bookings expire, the same day
    for (const u of unpaid) {
      fact('EXPIRED')
      at(u.eventId).expired++
      at(u.eventId).seatsReleased += u.seats
    }
  }

  p.advance(T0 + 3 * DAY_MS + HOUR_MS - p.clock.now()) // day 3, 01:00
  const canceledIds = new Set<string>()
  for (const b of confirmedBookings) {
    if (Number(b.bookingId.split('-').at(-1)) % 4 !== 1) continue
    p.booking(
      bookingCommand(
        b.eventId,
        'CANCEL',
        { cancel: { bookingId: b.bookingId, reason: null, forceMajeure: false } },
        user(b.userId),
      ),
    )
    canceledIds.add(b.bookingId)
    fact('CANCELED')
    const d = at(b.eventId)
    d.canceled++
    d.seatsReleased += b.seats
    d.revenueRefundMinor += b.paid
    if (b.paid > 0) refund(b.eventId, 'USER_CANCELED', b.paid)
  }
  const duplicate = confirmedBookings.find(
    (b) => b.eventId === 'e1' && b.paid > 0 && !canceledIds.has(b.bookingId),
  )!
  p.payment('e1', duplicate.bookingId, 'COMPLETED', duplicate.paid, 'pay-duplicate')
  fact('LATE_PAYMENT_REFUNDED')
  at('e1').paymentsCompleted++
  refund('e1', 'DUPLICATE_PAYMENT', duplicate.paid)

  p.event(eventCommand('e3', 'CANCEL', { cancel: { reason: 'river flooded' } }, EVENTS[2]!.organizer))
  at('e3').eventsCanceled++
  for (const b of confirmedBookings) {
    if (b.eventId !== 'e3' || canceledIds.has(b.bookingId)) continue
    fact('CANCELED')
    const d = at('e3')
    d.canceled++
    d.seatsReleased += b.seats
    d.revenueRefundMinor += b.paid
    refund('e3', 'EVENT_CANCELED', b.paid)
  }

  // Seat changes of confirmed paid e1 bookings, priced like a request: the option's price per seat, the
  // promo's 10% off the whole (rounded down), the added seats paying the difference.
  const priceOf = (b: (typeof confirmedBookings)[number], seats: number) => {
    const gross = EVENTS[0]!.options.find((o) => o.id === b.option)!.priceMinor * seats
    return b.promo === null ? gross : gross - Math.floor((gross * 10) / 100)
  }
  const candidates = confirmedBookings.filter(
    (b) =>
      b.eventId === 'e1' &&
      b.paid > 0 &&
      !canceledIds.has(b.bookingId) &&
      b.bookingId !== duplicate.bookingId,
  )
  const toppedUp = candidates.find((b) => b.seats >= 2)
  const others = candidates.filter((b) => b !== toppedUp)
  if (toppedUp !== undefined && others.length >= 4) {
    const d = at('e1')
    const po = priceOptions.get(`e1|${toppedUp.option}`)!
    const changeSeats = (b: (typeof confirmedBookings)[number], seats: number) =>
      p.booking(
        bookingCommand(
          'e1',
          'CHANGE_SEATS',
          { changeSeats: { bookingId: b.bookingId, seats } },
          user(b.userId),
        ),
      )
    const holdTopUp = (b: (typeof confirmedBookings)[number]) => {
      changeSeats(b, b.seats + 1)
      fact('SEATS_CHANGE_HELD')
      d.seatsHeld++
    }
    // A top-up paid: its payment is revenue, its seat confirmed.
    holdTopUp(toppedUp)
    const topUp = priceOf(toppedUp, toppedUp.seats + 1) - priceOf(toppedUp, toppedUp.seats)
    p.payment('e1', toppedUp.bookingId, 'COMPLETED', topUp, `pay-topup-${toppedUp.bookingId}`)
    fact('SEATS_CHANGED')
    d.paymentsCompleted++
    d.seatsConfirmed++
    d.revenueMinor += topUp
    po.revenueMinor += topUp
    // Then down to one seat: the removed seats' share of both payments comes back in full (weeks before the
    // start), the top-up's payment first, then the original one.
    const seatsBefore = toppedUp.seats + 1
    const removedValue = Math.floor(((toppedUp.paid + topUp) * (seatsBefore - 1)) / seatsBefore)
    changeSeats(toppedUp, 1)
    fact('SEATS_CHANGED')
    d.seatsReleased += seatsBefore - 1
    d.revenueRefundMinor += removedValue
    refund('e1', 'SEATS_REDUCED', Math.min(removedValue, topUp))
    if (removedValue > topUp) refund('e1', 'SEATS_REDUCED', removedValue - topUp)

    const [failed, expiring, withdrawn, canceled] = others as [
      (typeof confirmedBookings)[number],
      (typeof confirmedBookings)[number],
      (typeof confirmedBookings)[number],
      (typeof confirmedBookings)[number],
    ]
    // Top-ups released: the payment failed, the hold expired (below), the user changed back.
    holdTopUp(failed)
    p.payment('e1', failed.bookingId, 'FAILED', 1, `pay-topup-${failed.bookingId}`)
    fact('SEATS_CHANGE_RELEASED')
    d.paymentsFailed++
    d.seatsReleased++
    holdTopUp(expiring)
    holdTopUp(withdrawn)
    changeSeats(withdrawn, withdrawn.seats)
    fact('SEATS_CHANGE_RELEASED')
    d.seatsReleased++
    // Canceled with a top-up pending: every seat it held comes back, its payment is refunded in full.
    holdTopUp(canceled)
    p.booking(
      bookingCommand(
        'e1',
        'CANCEL',
        { cancel: { bookingId: canceled.bookingId, reason: null, forceMajeure: false } },
        user(canceled.userId),
      ),
    )
    fact('CANCELED')
    d.canceled++
    d.seatsReleased += canceled.seats + 1
    d.revenueRefundMinor += canceled.paid
    refund('e1', 'USER_CANCELED', canceled.paid)
    p.advance(3 * HOUR_MS) // the top-up hold (2 h) expires, the same day
    fact('SEATS_CHANGE_RELEASED')
    d.seatsReleased++
  }

  // e2 rescheduled; one of its participants re-confirms.
  const reconfirming = confirmedBookings.find((b) => b.eventId === 'e2' && !canceledIds.has(b.bookingId))
  if (reconfirming !== undefined) {
    p.event(
      eventCommand(
        'e2',
        'RESCHEDULE',
        {
          reschedule: {
            startsAtMs: T0 + 40 * DAY_MS,
            endsAtMs: T0 + 41 * DAY_MS,
            place: 'Altai, Chuya river',
          },
        },
        EVENTS[1]!.organizer,
      ),
    )
    p.booking(
      bookingCommand(
        'e2',
        'RECONFIRM',
        { reconfirm: { bookingId: reconfirming.bookingId } },
        user(reconfirming.userId),
      ),
    )
    fact('RECONFIRMED')
    at('e2').reconfirmed++
  }
  const bookingFacts = [...bookingTypes.values()].reduce((a, b) => a + b, 0)
  return { days, organizerOf, priceOptions, promoUses, refundsByReason, bookingTypes, bookingFacts }
}

/** Sums the expected day figures over days (and events) matching `include`. */
export function sumDays(expected: Expected, include: (eventId: string, day: string) => boolean) {
  const total = blank()
  for (const [k, d] of expected.days) {
    const [eventId, day] = k.split('|') as [string, string]
    if (!include(eventId, day)) continue
    for (const field of Object.keys(total) as (keyof DayFigures)[]) {
      if (field === 'uniqueViewers') for (const v of d.uniqueViewers) total.uniqueViewers.add(v)
      else total[field] += d[field]
    }
  }
  return total
}

// Every aggregate, read back, and what it must show: shared by the sink and the crash tests.

const numbers = (row: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v]),
  )

/** The rows of a query, with integer strings (ClickHouse's 64-bit integers) turned into numbers. */
async function rows(client: ClickHouseClient, query: string): Promise<Record<string, unknown>[]> {
  const read = await (await client.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>()
  return read.map(numbers)
}

const DAILY_COLUMNS = `sum(views) AS views, uniqCombinedMerge(14)(unique_viewers) AS unique_viewers,
  sum(favorites_added) AS favorites_added, sum(favorites_removed) AS favorites_removed,
  sum(requests) AS requests, sum(holds) AS holds, sum(confirmed) AS confirmed, sum(rejected) AS rejected,
  sum(canceled) AS canceled, sum(expired) AS expired, sum(payment_failed) AS payment_failed,
  sum(reconfirmed) AS reconfirmed,
  sum(seats_held) AS seats_held, sum(seats_confirmed) AS seats_confirmed, sum(seats_released) AS seats_released,
  sum(revenue_minor) AS revenue_minor, sum(revenue_refund_minor) AS revenue_refund_minor,
  sum(promo_uses) AS promo_uses, sum(refunds) AS refunds, sum(refund_minor) AS refund_minor,
  sum(payments_completed) AS payments_completed, sum(payments_failed) AS payments_failed,
  sum(events_published) AS events_published, sum(events_canceled) AS events_canceled`

/** DAILY_COLUMNS without the unique viewers: the columns of event_monthly. */
const MONTHLY_COLUMNS = DAILY_COLUMNS.replace('uniqCombinedMerge(14)(unique_viewers) AS unique_viewers,', '')

/** The expected figures in the aggregate tables' column names. */
function asColumns(d: ReturnType<typeof sumDays>) {
  return {
    views: d.views,
    unique_viewers: d.uniqueViewers.size,
    favorites_added: d.favoritesAdded,
    favorites_removed: d.favoritesRemoved,
    requests: d.requests,
    holds: d.holds,
    confirmed: d.confirmed,
    rejected: d.rejected,
    canceled: d.canceled,
    expired: d.expired,
    payment_failed: d.paymentFailed,
    reconfirmed: d.reconfirmed,
    seats_held: d.seatsHeld,
    seats_confirmed: d.seatsConfirmed,
    seats_released: d.seatsReleased,
    revenue_minor: d.revenueMinor,
    revenue_refund_minor: d.revenueRefundMinor,
    promo_uses: d.promoUses,
    refunds: d.refunds,
    refund_minor: d.refundMinor,
    payments_completed: d.paymentsCompleted,
    payments_failed: d.paymentsFailed,
    events_published: d.eventsPublished,
    events_canceled: d.eventsCanceled,
  }
}

/** Every aggregate, read back: per event and day, per organizer, platform-wide and the breakdowns. */
export async function snapshot(client: ClickHouseClient, db: string) {
  return {
    eventDays: await rows(
      client,
      `SELECT event_id, toString(day) AS day, ${DAILY_COLUMNS}
      FROM ${db}.event_daily GROUP BY event_id, day ORDER BY event_id, day`,
    ),
    platformDays: await rows(
      client,
      `SELECT toString(day) AS day, ${DAILY_COLUMNS}
      FROM ${db}.platform_daily GROUP BY day ORDER BY day`,
    ),
    eventMonths: await rows(
      client,
      `SELECT event_id, toString(month) AS month, ${MONTHLY_COLUMNS}
      FROM ${db}.event_monthly GROUP BY event_id, month ORDER BY event_id, month`,
    ),
    organizers: await rows(
      client,
      `SELECT organizer_id, sum(views) AS views,
      sum(confirmed) AS confirmed, sum(revenue_minor) AS revenue_minor, sum(refund_minor) AS refund_minor
      FROM ${db}.organizer_daily GROUP BY organizer_id ORDER BY organizer_id`,
    ),
    priceOptions: await rows(
      client,
      `SELECT event_id, price_option_id,
      sum(revenue_minor) AS revenue_minor, sum(confirmed) AS confirmed FROM ${db}.price_option_daily
      GROUP BY event_id, price_option_id ORDER BY event_id, price_option_id`,
    ),
    promos: await rows(
      client,
      `SELECT event_id, promo_code, sum(uses) AS uses
      FROM ${db}.promo_daily GROUP BY event_id, promo_code ORDER BY event_id, promo_code`,
    ),
    refunds: await rows(
      client,
      `SELECT reason, sum(refunds) AS refunds,
      sum(amount_minor) AS amount_minor FROM ${db}.refund_daily GROUP BY reason ORDER BY reason`,
    ),
    types: await rows(
      client,
      `SELECT type, sum(bookings) AS bookings
      FROM ${db}.booking_status_daily GROUP BY type ORDER BY type`,
    ),
    platformTypes: await rows(
      client,
      `SELECT type, sum(bookings) AS bookings
      FROM ${db}.booking_status_platform_daily GROUP BY type ORDER BY type`,
    ),
    facts: await rows(
      client,
      `SELECT
      (SELECT count() FROM ${db}.booking_facts) AS booking,
      (SELECT count() FROM ${db}.view_facts) AS views,
      (SELECT count() FROM ${db}.favorite_facts) AS favorites,
      (SELECT count() FROM ${db}.refund_facts) AS refunds,
      (SELECT count() FROM ${db}.payment_facts) AS payments,
      (SELECT count() FROM ${db}.event_facts) AS events`,
    ),
  }
}

/** What `snapshot` must return, from the scenario plan. */
export function expectedSnapshot(e: Expected) {
  const eventDays = [...e.days.keys()].sort().map((k) => {
    const [eventId, day] = k.split('|') as [string, string]
    return { event_id: eventId, day, ...asColumns(sumDays(e, (ev, d) => ev === eventId && d === day)) }
  })
  const dayList = [...new Set([...e.days.keys()].map((k) => k.split('|')[1]!))].sort()
  const platformDays = dayList.map((day) => ({ day, ...asColumns(sumDays(e, (_, d) => d === day)) }))
  const months = [...new Set([...e.days.keys()].map((k) => `${k.slice(0, k.lastIndexOf('-'))}`))].sort()
  const eventMonths = months.map((k) => {
    const [eventId, month] = k.split('|') as [string, string]
    const { unique_viewers: _, ...columns } = asColumns(
      sumDays(e, (ev, d) => ev === eventId && d.startsWith(month)),
    )
    return { event_id: eventId, month: `${month}-01`, ...columns }
  })
  const organizers = [...new Set(e.organizerOf.values())].sort().map((org) => {
    const s = sumDays(e, (ev) => e.organizerOf.get(ev) === org)
    return {
      organizer_id: org,
      views: s.views,
      confirmed: s.confirmed,
      revenue_minor: s.revenueMinor,
      refund_minor: s.refundMinor,
    }
  })
  const priceOptions = [...e.priceOptions.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => {
      const [eventId, option] = k.split('|') as [string, string]
      return {
        event_id: eventId,
        price_option_id: option,
        revenue_minor: v.revenueMinor,
        confirmed: v.confirmed,
      }
    })
  const promos = [...e.promoUses.entries()].sort().map(([k, uses]) => {
    const [eventId, code] = k.split('|') as [string, string]
    return { event_id: eventId, promo_code: code, uses }
  })
  const refunds = [...e.refundsByReason.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([reason, r]) => ({
      reason,
      refunds: r.refunds,
      amount_minor: r.amountMinor,
    }))
  const types = [...e.bookingTypes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([type, bookings]) => ({ type, bookings }))
  return {
    eventDays,
    platformDays,
    eventMonths,
    organizers,
    priceOptions,
    promos,
    refunds,
    types,
    platformTypes: types,
  }
}

/**
 * A Grafana panel's SQL as the ClickHouse data source expands it: the dashboard's database, the time range
 * macros and the organizer variable ('All' or an organizer ID).
 */
export function grafanaSql(
  sql: string,
  options: { database: string; organizer: string; from: string; to: string },
): string {
  return sql
    .replaceAll('aquastream_analytics.', `${options.database}.`)
    .replaceAll('$__fromTime', `toDateTime('${options.from} 00:00:00')`)
    .replaceAll('$__toTime', `toDateTime('${options.to} 23:59:59')`)
    .replaceAll('$organizer', `'${options.organizer}'`)
}

/** The SQL of the Grafana dashboard's panel titled `title` (its first query). */
export function dashboardPanelSql(title: string): string {
  const dashboard = JSON.parse(
    readFileSync(new URL('../../../dashboards/grafana-backend-event.json', import.meta.url), 'utf8'),
  ) as { panels: { title: string; targets?: { rawSql: string }[] }[] }
  const panel = dashboard.panels.find((p) => p.title === title)
  if (panel?.targets?.[0] === undefined) throw new Error(`no dashboard panel ${title}`)
  return panel.targets[0].rawSql
}

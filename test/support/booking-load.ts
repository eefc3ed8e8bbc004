/**
 * A flash sale for the booking pipeline: its commands (events created and published, then booking
 * requests from many users, some request IDs sent twice), the outcome every request must get (a
 * sequential model of the ledger's rules), and the check of what the pipeline wrote against it.
 * Used by the real-broker flash-sale test and by `npm run bench:booking`.
 *
 * Demand is built so that the exact result is known without the model too: every request asks for
 * one seat; per price option, the distinct users asking for it are either at most its allotment (the
 * event is undersubscribed: all get a seat) or more than it (every option of the event sells out).
 * So per event, confirmed + pending seats = min(demand, capacity), demand being the number of
 * distinct users who request the event. A user's later, distinct request for the same event (same
 * option) is refused: DUPLICATE_BOOKING when the first got a seat, else NO_AVAILABLE_SEATS (the
 * option sold out and nothing frees seats during the run: holds last 120 minutes).
 */
import type {
  Actor,
  BookingCommand,
  BookingDomainEvent,
  EventCommand,
  NotificationMessage,
  RequestOutcome,
} from '../../avro/index.ts'
import type { Kafka } from 'kafkajs'
import { declareTopics } from '../../infra/topics.ts'
import {
  bookingCommand,
  eventCommand as buildEventCommand,
} from '../../query-api/commands/command-builders.ts'
import { ensureTopics } from '../../streams/kafka/topics.ts'
import { resolveStreamsConfig } from '../../streams/streams-config.ts'
import { buildBookingTopology, type BookingSerdes } from '../../topologies/booking-topology.ts'
import { seededRandom, sleep } from './processes.ts'

const DAY_MS = 24 * 60 * 60 * 1000

export interface FlashSaleOption {
  readonly priceOptionId: string
  readonly priceMinor: number
  readonly allotment: number
  /** Distinct users who request this option. */
  readonly demand: number
}

export interface FlashSaleEvent {
  readonly eventId: string
  readonly capacity: number
  readonly options: readonly FlashSaleOption[]
  /** Distinct users who request the event (each asks for one seat). */
  readonly demand: number
}

export interface FlashSalePlan {
  readonly organizer: Actor
  readonly events: readonly FlashSaleEvent[]
  /** CREATE, ADD_PRICE_OPTION…, PUBLISH per event, in order. */
  readonly eventCommands: readonly EventCommand[]
  /** Booking commands in the order they are produced; a repeated request is the same object twice. */
  readonly sends: readonly BookingCommand[]
  /** Distinct booking request IDs. */
  readonly requests: number
  /** Request IDs sent twice. */
  readonly repeated: number
  /** Requests that are a user's second distinct request for an event. */
  readonly secondRequests: number
}

export interface FlashSaleOptions {
  /** Makes every ID of the run unique (event, booking and request IDs). */
  readonly runId: string
  readonly events?: number
  readonly users?: number
  /** Distinct booking request IDs. */
  readonly requests?: number
  /** Share of request IDs sent a second time (identical record). */
  readonly repeatShare?: number
  /** Share of requests that are a user's second distinct request for an event. */
  readonly secondShare?: number
  /** Capacity of the i-th event; default 100 to 1,000 evenly. */
  readonly capacity?: (index: number, events: number) => number
  /** Events whose index satisfies this get less demand than capacity. */
  readonly undersubscribed?: (index: number) => boolean
  readonly seed?: number
  readonly nowMs?: number
}

/** Picks `k` distinct integers of [0, n) (partial Fisher–Yates over a scratch array). */
function sample(n: number, k: number, rand: () => number, scratch: Int32Array): Int32Array {
  for (let i = 0; i < n; i++) scratch[i] = i
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (n - i))
    const t = scratch[i]!
    scratch[i] = scratch[j]!
    scratch[j] = t
  }
  return scratch.slice(0, k)
}

/**
 * Builds a flash sale: `events` events (capacity 100 to 1,000 by default; one to three price options
 * whose allotments sum to the capacity; every fifth event free, others paid with sometimes a free
 * option), then `requests` distinct one-seat requests from `users` users, shuffled over the events,
 * of which `secondShare` are second requests and `repeatShare` are sent twice.
 */
export function flashSalePlan(options: FlashSaleOptions): FlashSalePlan {
  const runId = options.runId
  const eventCount = options.events ?? 20
  const users = options.users ?? 20_000
  const requests = options.requests ?? 50_000
  const rand = seededRandom(options.seed ?? 3)
  const nowMs = options.nowMs ?? Date.now()
  const capacityOf =
    options.capacity ?? ((i: number, n: number) => 100 + Math.round((900 * i) / Math.max(1, n - 1)))
  const under = options.undersubscribed ?? ((i: number) => i % 5 === 3)
  const organizer: Actor = { userId: `org-${runId}`, role: 'ORGANIZER' }

  // Events and their options.
  const shapes = Array.from({ length: eventCount }, (_, i) => {
    const capacity = capacityOf(i, eventCount)
    const count = Math.min(capacity, 1 + (i % 3))
    const allotments: number[] = []
    let left = capacity
    for (let j = 0; j < count - 1; j++) {
      const a = Math.max(1, Math.floor((capacity / count) * (0.6 + 0.8 * rand())))
      allotments.push(Math.min(a, left - (count - 1 - j)))
      left -= allotments[j]!
    }
    allotments.push(left)
    const price = (j: number): number => (i % 5 === 0 || (i % 5 === 1 && j === 0) ? 0 : 150_000 * (j + 1))
    return {
      eventId: `fs-${runId}-e${i}`,
      capacity,
      options: allotments.map((allotment, j) => ({
        priceOptionId: `opt-${j}`,
        priceMinor: price(j),
        allotment,
      })),
      under: under(i),
    }
  })

  // Demand per option: undersubscribed events 50-95% of each allotment, the rest of the first requests
  // spread over the other events' options in proportion to their allotments.
  const secondRequests = Math.round(requests * (options.secondShare ?? 0.03))
  const firstRequests = requests - secondRequests
  const demands = shapes.map((e) =>
    e.options.map((o) => (e.under ? Math.floor(o.allotment * (0.5 + 0.45 * rand())) : 0)),
  )
  const underDemand = demands.flat().reduce((s, d) => s + d, 0)
  const overAllotment = shapes
    .filter((e) => !e.under)
    .reduce((s, e) => s + e.options.reduce((t, o) => t + o.allotment, 0), 0)
  let budget = firstRequests - underDemand
  const overOptions: [number, number][] = []
  shapes.forEach((e, i) => {
    if (!e.under) e.options.forEach((_, j) => overOptions.push([i, j]))
  })
  for (const [i, j] of overOptions) {
    const d = Math.floor(((firstRequests - underDemand) * shapes[i]!.options[j]!.allotment) / overAllotment)
    demands[i]![j] = d
    budget -= d
  }
  for (let k = 0; budget > 0; k++, budget--) {
    const [i, j] = overOptions[k % overOptions.length]!
    demands[i]![j]! += 1
  }
  const events: FlashSaleEvent[] = shapes.map((e, i) => {
    const opts = e.options.map((o, j) => ({ ...o, demand: demands[i]![j]! }))
    for (const o of opts) {
      if (e.under ? o.demand > o.allotment : o.demand <= o.allotment)
        throw new Error(`flash sale: ${e.eventId}/${o.priceOptionId} demand ${o.demand} vs ${o.allotment}`)
      if (o.demand > users) throw new Error(`flash sale: more demand on one option than users`)
    }
    return {
      eventId: e.eventId,
      capacity: e.capacity,
      options: opts,
      demand: opts.reduce((s, o) => s + o.demand, 0),
    }
  })

  const eventCommands: EventCommand[] = []
  let eventSeq = 0
  const eventCommand = (eventId: string, payload: Partial<EventCommand> & Pick<EventCommand, 'type'>) =>
    eventCommands.push(
      buildEventCommand(
        { requestId: `${runId}-ev${++eventSeq}`, eventId, actor: organizer, issuedAtMs: nowMs },
        payload.type,
        payload,
      ),
    )
  for (const e of events) {
    eventCommand(e.eventId, {
      type: 'CREATE',
      create: {
        organizerId: null,
        title: `Flash sale ${e.eventId}`,
        description: 'A rafting trip that sells out in minutes.',
        startsAtMs: nowMs + 30 * DAY_MS,
        endsAtMs: nowMs + 31 * DAY_MS,
        place: 'Altai, Katun river',
        categories: ['rafting'],
        capacity: e.capacity,
        holdMinutes: null,
        bookingDeadlineHours: null,
        locale: 'ru-RU',
      },
    })
    for (const o of e.options)
      eventCommand(e.eventId, {
        type: 'ADD_PRICE_OPTION',
        priceOption: {
          priceOptionId: o.priceOptionId,
          name: o.priceMinor === 0 ? 'Free' : `Seat ${o.priceOptionId}`,
          priceMinor: o.priceMinor,
          allotment: o.allotment,
          validFromMs: null,
          validUntilMs: null,
        },
      })
    eventCommand(e.eventId, { type: 'PUBLISH', publish: { publishAtMs: null } })
  }

  // Requests, each with a send time in [0, 1); the sends are sorted by it.
  const timed: { at: number; command: BookingCommand }[] = []
  let requestSeq = 0
  const request = (eventId: string, userId: string, priceOptionId: string, at: number): BookingCommand => {
    const n = ++requestSeq
    const command = bookingCommand(
      { requestId: `${runId}-r${n}`, eventId, actor: { userId, role: 'USER' }, issuedAtMs: nowMs },
      'REQUEST',
      { request: { bookingId: `${eventId}-b${n}`, userId, priceOptionId, seats: 1, promoCode: null } },
    )
    timed.push({ at, command })
    return command
  }
  const scratch = new Int32Array(users)
  const firsts: { at: number; command: BookingCommand }[] = []
  for (const e of events) {
    const chosen = sample(users, e.demand, rand, scratch)
    let next = 0
    for (const o of e.options)
      for (let k = 0; k < o.demand; k++) {
        const at = rand()
        firsts.push({ at, command: request(e.eventId, `user-${chosen[next++]}`, o.priceOptionId, at) })
      }
  }
  for (let k = 0; k < secondRequests; k++) {
    const first = firsts[Math.floor(rand() * firsts.length)]!
    const r = first.command.request!
    request(first.command.eventId, r.userId, r.priceOptionId, first.at + (1 - first.at) * rand())
  }
  const repeated = Math.round(requests * (options.repeatShare ?? 0.05))
  const distinct = [...timed]
  const picked = sample(distinct.length, repeated, rand, new Int32Array(distinct.length))
  for (const index of picked) {
    const original = distinct[index]!
    timed.push({ at: original.at + (1 - original.at) * rand(), command: original.command })
  }
  timed.sort((a, b) => a.at - b.at)
  return {
    organizer,
    events,
    eventCommands,
    sends: timed.map((t) => t.command),
    requests,
    repeated,
    secondRequests,
  }
}

/** What the model says a booking request gets. */
export interface ExpectedOutcome {
  readonly eventId: string
  readonly bookingId: string
  readonly userId: string
  readonly priceOptionId: string
  readonly accepted: boolean
  readonly reasonCode: string | null
  /** Status of the booking when accepted. */
  readonly status: 'CONFIRMED' | 'PENDING_PAYMENT' | null
  /** Times the request ID is sent. */
  sends: number
}

export interface FlashSaleExpectation {
  readonly outcomes: Map<string, ExpectedOutcome>
  /** Every dedup key the run must notify, once each. */
  readonly notifications: Set<string>
  /** `<eventId>/<priceOptionId>` → seats taken at the end. */
  readonly seats: Map<string, number>
}

/**
 * The ledger's rules for one-seat requests without promo codes, applied in send order (which is each
 * event's processing order: one producer, keyed by eventId, so one partition keeps it).
 */
export function expectFlashSale(plan: FlashSalePlan): FlashSaleExpectation {
  const options = new Map<string, FlashSaleOption>()
  for (const e of plan.events) for (const o of e.options) options.set(`${e.eventId}/${o.priceOptionId}`, o)
  const outcomes = new Map<string, ExpectedOutcome>()
  const notifications = new Set<string>()
  const seats = new Map<string, number>([...options.keys()].map((k) => [k, 0]))
  const active = new Set<string>()
  for (const command of plan.sends) {
    const kept = outcomes.get(command.requestId)
    if (kept !== undefined) {
      kept.sends++
      continue
    }
    const r = command.request!
    const optionKey = `${command.eventId}/${r.priceOptionId}`
    const option = options.get(optionKey)!
    const userKey = `${command.eventId}/${r.userId}`
    const base = {
      eventId: command.eventId,
      bookingId: r.bookingId,
      userId: r.userId,
      priceOptionId: r.priceOptionId,
      sends: 1,
    }
    if (active.has(userKey)) {
      outcomes.set(command.requestId, {
        ...base,
        accepted: false,
        reasonCode: 'DUPLICATE_BOOKING',
        status: null,
      })
    } else if (seats.get(optionKey)! >= option.allotment) {
      outcomes.set(command.requestId, {
        ...base,
        accepted: false,
        reasonCode: 'NO_AVAILABLE_SEATS',
        status: null,
      })
    } else {
      seats.set(optionKey, seats.get(optionKey)! + 1)
      active.add(userKey)
      const free = option.priceMinor === 0
      outcomes.set(command.requestId, {
        ...base,
        accepted: true,
        reasonCode: null,
        status: free ? 'CONFIRMED' : 'PENDING_PAYMENT',
      })
      if (free) {
        notifications.add(`booking.confirmed:${r.bookingId}`)
        notifications.add(`booking.confirmed.organizer:${r.bookingId}`)
      } else notifications.add(`booking.created:${r.bookingId}`)
    }
  }
  return { outcomes, notifications, seats }
}

/** What the pipeline wrote for the run's events, in topic order per partition. */
export interface FlashSaleObserved {
  readonly outcomes: readonly RequestOutcome[]
  readonly bookingEvents: readonly BookingDomainEvent[]
  readonly notifications: readonly NotificationMessage[]
}

export interface FlashSaleReport {
  /** Empty when every check holds; at most 30 lines. */
  readonly problems: string[]
  /** Per event: capacity, demand, seats taken (confirmed + pending) and the expected min(demand, capacity). */
  readonly perEvent: { eventId: string; capacity: number; demand: number; seats: number; expected: number }[]
  readonly accepted: number
  readonly refused: { [reasonCode: string]: number }
  /** Outcome records of booking requests (a repeated request ID has two identical ones). */
  readonly outcomeRecords: number
  readonly notificationRecords: number
}

/**
 * Checks the outputs against the plan and the model:
 * - per event (and per price option), confirmed + pending seats = min(demand, capacity) (allotment);
 * - per booking request ID, as many outcome records as sends, all identical (so exactly one distinct
 *   outcome), and the one the model gives; every event command accepted once; no unknown request ID;
 * - exactly one booking fact per distinct request (HELD, CONFIRMED or REJECTED), none for repeats;
 * - no user with two active bookings on an event;
 * - every notification exactly once (no dedup key twice), and exactly the expected ones.
 */
export function checkFlashSale(
  plan: FlashSalePlan,
  expected: FlashSaleExpectation,
  observed: FlashSaleObserved,
): FlashSaleReport {
  const problems: string[] = []
  const problem = (text: string): void => {
    problems.push(text)
  }

  // Outcomes.
  const eventRequestIds = new Set(plan.eventCommands.map((c) => c.requestId))
  const byRequest = new Map<string, string[]>()
  for (const o of observed.outcomes) {
    const list = byRequest.get(o.requestId) ?? []
    list.push(JSON.stringify(o))
    byRequest.set(o.requestId, list)
  }
  const refused: { [reasonCode: string]: number } = {}
  let accepted = 0
  let outcomeRecords = 0
  for (const [requestId, want] of expected.outcomes) {
    const got = byRequest.get(requestId) ?? []
    outcomeRecords += got.length
    if (got.length === 0) {
      problem(`request ${requestId}: no outcome`)
      continue
    }
    if (got.length !== want.sends)
      problem(`request ${requestId}: ${got.length} outcome records for ${want.sends} sends`)
    const distinct = new Set(got)
    if (distinct.size !== 1)
      problem(`request ${requestId}: ${distinct.size} different outcomes: ${[...distinct].join(' | ')}`)
    const outcome = JSON.parse(got[0]!) as RequestOutcome
    if (outcome.accepted) accepted++
    else refused[outcome.reasonCode ?? 'null'] = (refused[outcome.reasonCode ?? 'null'] ?? 0) + 1
    if (
      outcome.accepted !== want.accepted ||
      outcome.reasonCode !== want.reasonCode ||
      outcome.resourceId !== want.bookingId ||
      outcome.commandType !== 'booking.REQUEST'
    )
      problem(
        `request ${requestId}: got ${outcome.accepted ? 'accepted' : outcome.reasonCode} for ${outcome.resourceId}, ` +
          `expected ${want.accepted ? 'accepted' : want.reasonCode} for ${want.bookingId}`,
      )
  }
  for (const requestId of eventRequestIds) {
    const got = byRequest.get(requestId) ?? []
    if (got.length !== 1) problem(`event command ${requestId}: ${got.length} outcome records`)
    else if (!(JSON.parse(got[0]!) as RequestOutcome).accepted)
      problem(`event command ${requestId} refused: ${got[0]}`)
  }
  for (const requestId of byRequest.keys())
    if (!expected.outcomes.has(requestId) && !eventRequestIds.has(requestId))
      problem(`outcome for a request ID never sent: ${requestId}`)

  // Booking facts: one per distinct request; the latest per booking gives its status.
  const factsByRequest = new Map<string, number>()
  const latest = new Map<string, BookingDomainEvent>()
  for (const fact of observed.bookingEvents) {
    if (fact.requestId !== null)
      factsByRequest.set(fact.requestId, (factsByRequest.get(fact.requestId) ?? 0) + 1)
    if (fact.bookingId !== null) latest.set(fact.bookingId, fact)
  }
  for (const [requestId, want] of expected.outcomes) {
    const n = factsByRequest.get(requestId) ?? 0
    if (n !== 1) problem(`request ${requestId}: ${n} booking facts (${want.sends} sends), expected 1`)
  }
  const seats = new Map<string, number>()
  const activeByUser = new Map<string, number>()
  for (const fact of latest.values()) {
    if (fact.status !== 'CONFIRMED' && fact.status !== 'PENDING_PAYMENT') continue
    const optionKey = `${fact.eventId}/${fact.priceOptionId}`
    seats.set(optionKey, (seats.get(optionKey) ?? 0) + fact.seats)
    const userKey = `${fact.eventId}/${fact.userId}`
    activeByUser.set(userKey, (activeByUser.get(userKey) ?? 0) + 1)
  }
  for (const [userKey, n] of activeByUser) if (n > 1) problem(`user ${userKey}: ${n} active bookings`)
  const wantByBooking = new Map([...expected.outcomes.values()].map((o) => [o.bookingId, o]))
  for (const [bookingId, fact] of latest) {
    if (fact.status !== 'CONFIRMED' && fact.status !== 'PENDING_PAYMENT') continue
    const want = wantByBooking.get(bookingId)
    if (want === undefined) problem(`active booking ${bookingId} was never requested`)
    else if (want.status !== fact.status)
      problem(`booking ${bookingId}: status ${fact.status}, expected ${want.status}`)
  }
  const perEvent = plan.events.map((e) => {
    let taken = 0
    for (const o of e.options) {
      const got = seats.get(`${e.eventId}/${o.priceOptionId}`) ?? 0
      taken += got
      if (got !== Math.min(o.demand, o.allotment))
        problem(
          `${e.eventId}/${o.priceOptionId}: ${got} seats taken, expected min(${o.demand}, ${o.allotment})`,
        )
      if (got !== expected.seats.get(`${e.eventId}/${o.priceOptionId}`))
        problem(
          `${e.eventId}/${o.priceOptionId}: ${got} seats taken, the model says ${expected.seats.get(`${e.eventId}/${o.priceOptionId}`)}`,
        )
    }
    const want = Math.min(e.demand, e.capacity)
    if (taken !== want)
      problem(
        `${e.eventId}: confirmed + pending ${taken}, expected min(${e.demand}, ${e.capacity}) = ${want}`,
      )
    return { eventId: e.eventId, capacity: e.capacity, demand: e.demand, seats: taken, expected: want }
  })

  // Notifications.
  const keys = new Map<string, number>()
  for (const n of observed.notifications) keys.set(n.dedupKey, (keys.get(n.dedupKey) ?? 0) + 1)
  for (const [key, n] of keys) {
    if (n > 1) problem(`notification ${key} emitted ${n} times`)
    if (!expected.notifications.has(key)) problem(`unexpected notification ${key}`)
  }
  for (const key of expected.notifications) if (!keys.has(key)) problem(`notification ${key} missing`)

  return {
    problems: problems.slice(0, 30).concat(problems.length > 30 ? [`… ${problems.length - 30} more`] : []),
    perEvent,
    accepted,
    refused,
    outcomeRecords,
    notificationRecords: observed.notifications.length,
  }
}

/** Committed or end offsets of topics, in kafkajs' shape. */
export type TopicOffsets = { topic: string; partitions: { partition: number; offset: string }[] }[]

/**
 * The end offsets of `topics` now, for read_committed readers: kafkajs' ListOffsets asks with
 * READ_COMMITTED, so `high` is the last stable offset (below the log end while a transaction is open).
 */
export async function endOffsets(kafka: Kafka, topics: readonly string[]): Promise<TopicOffsets> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const out: TopicOffsets = []
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic)
      out.push({ topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) })
    }
    return out
  } finally {
    await admin.disconnect()
  }
}

/**
 * Creates the booking topics and the application's changelog topics ahead of the app, then gives the
 * broker a moment. An app that creates its changelogs itself can hit NOT_LEADER_FOR_PARTITION when its
 * restore lists their offsets right after creation, and KafkaStreams then dies of an unhandled
 * rejection instead of retrying the task (reported with issue 3); created ahead, they are settled.
 */
export async function createAppTopics(
  kafka: Kafka,
  applicationId: string,
  serdes: BookingSerdes,
): Promise<void> {
  const resolved = resolveStreamsConfig(buildBookingTopology({ serdes }), {
    applicationId,
    topics: declareTopics(serdes.topics),
    deadLetterTopic: serdes.topics.deadLetters,
  })
  const admin = kafka.admin()
  await admin.connect()
  try {
    const { created } = await ensureTopics(admin, resolved.topics.values())
    if (created.length > 0) await sleep(2000)
    // Until every new partition has a leader, listing its offsets fails (NOT_LEADER_FOR_PARTITION).
    const deadline = Date.now() + 30_000
    for (const topic of created)
      for (;;) {
        try {
          await admin.fetchTopicOffsets(topic)
          break
        } catch (error) {
          if (Date.now() > deadline) throw error
          await sleep(250)
        }
      }
  } finally {
    await admin.disconnect()
  }
}

/**
 * Commits `offsets` for a consumer group that has no members yet, in a transaction (a transactional
 * offset commit needs no group membership). The booking topics have fixed names shared by every run:
 * a fresh application ID (or reader) seeded at their current end processes this run's records only,
 * instead of every earlier run's from the beginning.
 */
export async function commitGroupOffsets(
  kafka: Kafka,
  groupId: string,
  offsets: TopicOffsets,
): Promise<void> {
  const producer = kafka.producer({
    transactionalId: `${groupId}-offset-seed`,
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await producer.connect()
  try {
    const transaction = await producer.transaction()
    try {
      await transaction.sendOffsets({ consumerGroupId: groupId, topics: offsets })
      await transaction.commit()
    } catch (error) {
      await transaction.abort().catch(() => undefined)
      throw error
    }
  } finally {
    await producer.disconnect()
  }
}

/**
 * Follows the booking pipeline's outcomes, booking facts and notifications (of the serdes' topic names)
 * with `read_committed` from given offsets, keeping (decoded, in topic order per partition) the records of
 * the given events only. It tracks how far it has fetched each partition (control and aborted records
 * included), so that {@link readTo} can tell it has read up to given end offsets.
 */
export class BookingOutputReader {
  readonly outcomes: RequestOutcome[] = []
  readonly bookingEvents: BookingDomainEvent[] = []
  readonly notifications: NotificationMessage[] = []
  /** `topic:partition:offset` of every record delivered (any event). */
  readonly delivered = new Set<string>()
  /** Wall-clock ms of the last record of the run's events. */
  lastAt = 0
  readonly #kafka: Kafka
  readonly #groupId: string
  readonly #serdes: BookingSerdes
  readonly #eventIds: ReadonlySet<string>
  readonly #consumer: ReturnType<Kafka['consumer']>
  readonly #position = new Map<string, number>()

  constructor(kafka: Kafka, groupId: string, serdes: BookingSerdes, eventIds: ReadonlySet<string>) {
    this.#kafka = kafka
    this.#groupId = groupId
    this.#serdes = serdes
    this.#eventIds = eventIds
    this.#consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 })
    this.#consumer.on(this.#consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const key = `${payload.topic}:${payload.partition}`
      const next = Number(payload.lastOffset) + 1
      if (next > (this.#position.get(key) ?? 0)) this.#position.set(key, next)
    })
  }

  /** The topics it reads. */
  get topics(): string[] {
    const names = this.#serdes.topics
    return [names.requestOutcomes, names.bookingEvents, names.notifications]
  }

  /** Starts reading at `from` (see {@link endOffsets}, taken before the run produced anything). */
  async start(from: TopicOffsets): Promise<void> {
    await commitGroupOffsets(this.#kafka, this.#groupId, from)
    for (const { topic, partitions } of from)
      for (const { partition, offset } of partitions)
        this.#position.set(`${topic}:${partition}`, Number(offset))
    const names = this.#serdes.topics
    await this.#consumer.connect()
    await this.#consumer.subscribe({ topics: this.topics, fromBeginning: false })
    await this.#consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const topic = batch.topic
        for (const m of batch.messages) this.delivered.add(`${topic}:${batch.partition}:${m.offset}`)
        const values = batch.messages.flatMap((m) => (m.value === null ? [] : [m.value]))
        const serde =
          topic === names.requestOutcomes
            ? this.#serdes.outcome
            : topic === names.bookingEvents
              ? this.#serdes.bookingEvent
              : this.#serdes.notification
        await serde.prefetch?.(topic, values)
        for (const value of values) {
          const decoded = serde.deserialize(topic, value) as { eventId: string }
          if (!this.#eventIds.has(decoded.eventId)) continue
          this.lastAt = Date.now()
          if (topic === names.requestOutcomes) this.outcomes.push(decoded as RequestOutcome)
          else if (topic === names.bookingEvents) this.bookingEvents.push(decoded as BookingDomainEvent)
          else this.notifications.push(decoded as NotificationMessage)
        }
      },
    })
  }

  /**
   * Waits until it has fetched every partition of its topics up to `ends` (the end offsets for
   * read_committed readers, taken once the writers stopped); fails after `timeoutMs`.
   */
  async readTo(ends: TopicOffsets, timeoutMs: number): Promise<void> {
    const behind = (): string[] =>
      ends.flatMap(({ topic, partitions }) =>
        partitions
          .filter(
            ({ partition, offset }) => (this.#position.get(`${topic}:${partition}`) ?? 0) < Number(offset),
          )
          .map(
            ({ partition, offset }) =>
              `${topic}:${partition} at ${this.#position.get(`${topic}:${partition}`) ?? 0} of ${offset}`,
          ),
      )
    const deadline = Date.now() + timeoutMs
    while (behind().length > 0) {
      if (Date.now() > deadline)
        throw new Error(`not read to the end offsets: ${behind().slice(0, 5).join(', ')}`)
      await sleep(200)
    }
  }

  /** Waits until `done()` holds and nothing more arrived for `settleMs`; false on timeout. */
  async waitFor(done: () => boolean, options: { timeoutMs: number; settleMs: number }): Promise<boolean> {
    const deadline = Date.now() + options.timeoutMs
    while (Date.now() < deadline) {
      if (done() && Date.now() - this.lastAt >= options.settleMs) return true
      await sleep(200)
    }
    return false
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect()
  }
}

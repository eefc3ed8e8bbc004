// Attendance from the check-in facts. The analytics scenario runs on the booking topology (three events,
// two organizers, confirmations, cancellations, seat top-ups and reductions); then CHECKED_IN facts, built
// with the generated Avro types as the check-in decision writes them, are appended to the booking topic
// for a seeded random choice of the confirmed bookings (none, some or all of their seats, in one or more
// scans, by devices or people). Every figure is compared with a recount over all the facts of the log: the
// confirmed seats of each booking from its facts, the checked-in seats from every CHECKED_IN fact. Then the
// topics are delivered again (a restart, a replay from the beginning by hand, a cold sink), and nothing
// counts twice.
import t from 'tap'
import type { BookingDomainEvent } from '../../../avro/index.ts'
import {
  AnalyticsSink,
  ANALYTICS_TOPICS,
  createStatsQueries,
  type AttendanceFigures,
  type ClickHouseClient,
  type StatsQueries,
} from '../../../read-models/analytics/index.ts'
import { defaultPartitioner, stringSerde } from '../../../streams/index.ts'
import { EmbeddedProjection, type ProjectionBatch } from '../../../streams/projection.ts'
import { DEFAULT_TOPIC_NAMES } from '../../../topologies/index.ts'
import {
  analyticsSerdes,
  BookingPipeline,
  closeClient,
  DAY_MS,
  freshDatabase,
  runScenario,
  sumDays,
  T0,
  type Expected,
} from './analytics-harness.ts'

t.teardown(closeClient)

const TOPIC = DEFAULT_TOPIC_NAMES.bookingEvents
const ADMIN = { role: 'ADMIN' } as const
const RANGE = { from: '2026-01-01', to: '2026-03-31' }
const AFTER_EVERY_EVENT = T0 + 90 * DAY_MS

/** A small seeded generator (mulberry32): the same check-ins on every run. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** Every booking fact of the log, in each partition's order. */
function bookingFacts(p: BookingPipeline): BookingDomainEvent[] {
  const facts: BookingDomainEvent[] = []
  for (let partition = 0; partition < p.log.partitions(TOPIC); partition++)
    for (const record of p.log.read(TOPIC, partition, 0, 1_000_000))
      if (record.value !== null) facts.push(p.serdes.bookingEvent.deserialize(TOPIC, record.value))
  return facts
}

/**
 * Confirmed seats per booking, read from its facts as the schema defines them: a fact with status CONFIRMED
 * and no pending top-up (`holdExpiresAtMs` null) confirms its `seats`; one with a pending top-up keeps the
 * seats confirmed before; any other status ends them. REJECTED, waiting-list, CHECKED_IN (whose `seats` are a
 * scan's) and TICKET_REISSUED facts change nothing.
 */
function confirmedSeats(
  facts: readonly BookingDomainEvent[],
): Map<string, { eventId: string; seats: number }> {
  const seats = new Map<string, { eventId: string; seats: number }>()
  for (const f of facts) {
    if (f.bookingId === null || ['REJECTED', 'CHECKED_IN', 'TICKET_REISSUED'].includes(f.type)) continue
    const before = seats.get(f.bookingId)?.seats ?? 0
    const after = f.status !== 'CONFIRMED' ? 0 : f.holdExpiresAtMs === null ? f.seats : before
    seats.set(f.bookingId, { eventId: f.eventId, seats: after })
  }
  return seats
}

/** Appends CHECKED_IN facts for a random choice of the confirmed bookings; returns how many. */
function checkIn(p: BookingPipeline): number {
  const next = random(11)
  const facts = bookingFacts(p)
  const last = new Map(facts.filter((f) => f.bookingId !== null).map((f) => [f.bookingId!, f]))
  let appended = 0
  for (const [bookingId, { eventId, seats }] of confirmedSeats(facts)) {
    if (seats === 0) continue
    const choice = next()
    // About a fifth stay away, a fifth come in part, the rest in full.
    const coming = choice < 0.2 ? 0 : choice < 0.4 ? Math.max(1, Math.floor(seats / 2)) : seats
    let checked = 0
    while (checked < coming) {
      const admitted = Math.min(coming - checked, 1 + Math.floor(next() * 2))
      checked += admitted
      const scannedAtMs = T0 + 30 * DAY_MS - 3_600_000 + appended * 1000
      const b = last.get(bookingId)!
      const fact: BookingDomainEvent = {
        ...b,
        type: 'CHECKED_IN',
        status: 'CONFIRMED',
        seats: admitted,
        refundMinor: 0,
        reasonCode: null,
        holdExpiresAtMs: null,
        requestId: `scan-${bookingId}-${checked}`,
        occurredAtMs: scannedAtMs + 200,
        checkedInSeats: checked,
        scannedAtMs,
        deviceId: next() < 0.7 ? `dev-${eventId}-${Math.floor(next() * 3)}` : null,
      }
      const key = stringSerde.serialize(TOPIC, eventId)
      const value = p.serdes.bookingEvent.serialize(TOPIC, fact)
      const partition = defaultPartitioner(TOPIC, key, value, p.log.partitions(TOPIC))
      p.log.append([{ topic: TOPIC, partition, key, value, timestamp: scannedAtMs, headers: {} }])
      appended++
    }
  }
  return appended
}

/** The recount: per event, from every fact of the log. */
function recount(
  p: BookingPipeline,
): Map<string, AttendanceFigures & { noShowBookings: number; noShowSeats: number }> {
  const facts = bookingFacts(p)
  const checked = new Map<string, number>()
  for (const f of facts)
    if (f.type === 'CHECKED_IN') checked.set(f.bookingId!, (checked.get(f.bookingId!) ?? 0) + f.seats)
  const events = new Map<
    string,
    {
      confirmedBookings: number
      confirmedSeats: number
      checkedInBookings: number
      checkedInSeats: number
      noShowBookings: number
      noShowSeats: number
    }
  >()
  const of = (eventId: string) => {
    let e = events.get(eventId)
    if (e === undefined)
      events.set(
        eventId,
        (e = {
          confirmedBookings: 0,
          confirmedSeats: 0,
          checkedInBookings: 0,
          checkedInSeats: 0,
          noShowBookings: 0,
          noShowSeats: 0,
        }),
      )
    return e
  }
  const eventOf = new Map(facts.filter((f) => f.bookingId !== null).map((f) => [f.bookingId!, f.eventId]))
  for (const [bookingId, { eventId, seats }] of confirmedSeats(facts)) {
    const e = of(eventId)
    if (seats > 0) {
      e.confirmedBookings++
      e.confirmedSeats += seats
      if (!checked.has(bookingId)) {
        e.noShowBookings++
        e.noShowSeats += seats
      }
    }
  }
  for (const [bookingId, seats] of checked) {
    const e = of(eventOf.get(bookingId)!)
    e.checkedInBookings++
    e.checkedInSeats += seats
  }
  return new Map(
    [...events].map(([id, e]) => [
      id,
      { ...e, attendance: e.confirmedSeats === 0 ? null : e.checkedInSeats / e.confirmedSeats },
    ]),
  )
}

async function project(client: ClickHouseClient, database: string, p: BookingPipeline, sink?: AnalyticsSink) {
  const projection = new EmbeddedProjection(p.log, {
    name: 'analytics',
    topics: ANALYTICS_TOPICS,
    sink: sink ?? new AnalyticsSink({ client, database, serdes: p.serdes }),
  })
  await projection.start()
  await projection.caughtUp(60_000)
  await projection.close()
}

const serdes = await analyticsSerdes()
const p = new BookingPipeline(serdes)
t.teardown(() => p.close())
const expected: Expected = runScenario(p)
const scans = checkIn(p)
const want = recount(p)
const { client, database } = await freshDatabase('attendance')
await project(client, database, p)
const stats: StatsQueries = createStatsQueries({ client, database, now: () => AFTER_EVERY_EVENT })

/** What the stats answer, per event and over the viewer's events. */
async function answers(queries: StatsQueries) {
  const perEvent = Object.fromEntries(
    await Promise.all(
      [...want.keys()].map(
        async (id) => [id, (await queries.eventStats(ADMIN, id, RANGE, 'day')).attendance] as const,
      ),
    ),
  )
  const platform = (await queries.eventsStats(ADMIN, RANGE, 'month')).attendance
  const org1 = (await queries.eventsStats({ role: 'ORGANIZER', organizerId: 'org-1' }, RANGE, 'month'))
    .attendance
  return { perEvent, platform, org1 }
}

t.test('the check-ins of the scenario', async (t) => {
  t.ok(scans > 20, `${scans} CHECKED_IN facts appended`)
  const all = [...want.values()]
  t.ok(
    all.some((e) => e.noShowBookings > 0),
    'some bookings stay away',
  )
  t.ok(
    all.some((e) => e.checkedInSeats > 0 && e.checkedInSeats < e.confirmedSeats),
    'some events are partly attended',
  )
})

t.test('per event: attendance, check-ins and no-shows equal the recount over every fact', async (t) => {
  for (const [eventId, w] of want) {
    const a = (await stats.eventStats(ADMIN, eventId, RANGE, 'day')).attendance
    t.same(
      {
        confirmedBookings: a.confirmedBookings,
        confirmedSeats: a.confirmedSeats,
        checkedInBookings: a.checkedInBookings,
        checkedInSeats: a.checkedInSeats,
        attendance: a.attendance,
        noShows: a.noShows,
      },
      {
        confirmedBookings: w.confirmedBookings,
        confirmedSeats: w.confirmedSeats,
        checkedInBookings: w.checkedInBookings,
        checkedInSeats: w.checkedInSeats,
        attendance: w.attendance,
        noShows: { bookings: w.noShowBookings, seats: w.noShowSeats },
      },
      eventId,
    )
  }
  const e1 = await stats.eventStats(ADMIN, 'e1', RANGE, 'day')
  t.equal(
    e1.attendance.fillRate,
    e1.seatsTaken / e1.capacity,
    'fill rate: seats taken / capacity, kept apart',
  )
})

t.test('check-ins leave the booking measures as they were', async (t) => {
  for (const eventId of want.keys()) {
    const totals = (await stats.eventStats(ADMIN, eventId, RANGE, 'day')).totals
    const plan = sumDays(expected, (ev) => ev === eventId)
    t.match(
      totals,
      {
        confirmed: plan.confirmed,
        seatsHeld: plan.seatsHeld,
        seatsConfirmed: plan.seatsConfirmed,
        seatsReleased: plan.seatsReleased,
        revenueMinor: plan.revenueMinor,
      },
      eventId,
    )
  }
})

t.test('per organizer and platform-wide: the sums of the recount', async (t) => {
  const sum = (ids: string[]) => {
    const rows = ids.map((id) => want.get(id)!)
    const confirmedSeats = rows.reduce((a, r) => a + r.confirmedSeats, 0)
    const checkedInSeats = rows.reduce((a, r) => a + r.checkedInSeats, 0)
    return {
      events: ids.length,
      confirmedBookings: rows.reduce((a, r) => a + r.confirmedBookings, 0),
      confirmedSeats,
      checkedInBookings: rows.reduce((a, r) => a + r.checkedInBookings, 0),
      checkedInSeats,
      attendance: confirmedSeats === 0 ? null : checkedInSeats / confirmedSeats,
      noShows: {
        bookings: rows.reduce((a, r) => a + r.noShowBookings, 0),
        seats: rows.reduce((a, r) => a + r.noShowSeats, 0),
      },
    }
  }
  const organizers = new Map<string, string[]>()
  for (const id of want.keys()) {
    const org = expected.organizerOf.get(id)!
    organizers.set(org, [...(organizers.get(org) ?? []), id])
  }
  const platform = (await stats.eventsStats(ADMIN, RANGE, 'month')).attendance
  t.match(platform, sum([...want.keys()]), 'platform-wide')
  t.same(
    platform.byOrganizer.map((o) => o.organizerId),
    [...organizers.keys()].sort(),
  )
  for (const [org, ids] of organizers) {
    const { noShows: _, ...figures } = sum(ids)
    t.match(
      platform.byOrganizer.find((o) => o.organizerId === org),
      figures,
      `${org} in the platform's breakdown`,
    )
    const own = (await stats.eventsStats({ role: 'ORGANIZER', organizerId: org }, RANGE, 'month')).attendance
    t.match(own, sum(ids), `${org}'s own view`)
    t.same(own.byEvent.map((e) => e.eventId).sort(), [...ids].sort(), `${org} sees its events only`)
    for (const e of own.byEvent)
      t.same(e.noShows, {
        bookings: want.get(e.eventId)!.noShowBookings,
        seats: want.get(e.eventId)!.noShowSeats,
      })
  }
})

t.test('no-shows only once the event has ended; a range without starts has no events', async (t) => {
  const before = createStatsQueries({ client, database, now: () => T0 })
  const a = (await before.eventStats(ADMIN, 'e1', RANGE, 'day')).attendance
  t.equal(a.noShows, null, 'before the end: no no-shows yet')
  t.equal(a.checkedInSeats, want.get('e1')!.checkedInSeats)
  const platform = (await before.eventsStats(ADMIN, RANGE, 'month')).attendance
  t.same(platform.noShows, { bookings: 0, seats: 0 })
  t.ok(platform.byEvent.every((e) => e.noShows === null))
  const empty = (await stats.eventsStats(ADMIN, { from: '2025-01-01', to: '2025-01-31' }, 'month')).attendance
  t.match(empty, { events: 0, confirmedSeats: 0, checkedInSeats: 0, attendance: null, byEvent: [] })
})

t.test('facts delivered twice count once', async (t) => {
  const first = await answers(stats)
  // A restart of the projection, then every batch of every topic again by hand (a replay from the
  // beginning), then a fresh sink over it all: the sink's stored offsets drop what it wrote before.
  await project(client, database, p)
  const sink = new AnalyticsSink({ client, database, serdes })
  for (const topic of ANALYTICS_TOPICS)
    for (let partition = 0; partition < p.log.partitions(topic); partition++) {
      const records = p.log.read(topic, partition, 0, 1_000_000).map((r) => ({ ...r, topic, partition }))
      if (records.length === 0) continue
      const batch: ProjectionBatch = { topic, partition, records, nextOffset: records.at(-1)!.offset + 1 }
      await sink.apply(batch)
      await sink.apply(batch)
    }
  t.same(await answers(stats), first, 'unchanged')
  const [row] = await (
    await client.query({
      query: `SELECT count() AS n, sum(seats) AS seats FROM ${database}.booking_facts WHERE type = 'CHECKED_IN'`,
      format: 'JSONEachRow',
    })
  ).json<{ n: string; seats: string }>()
  t.equal(Number(row!.n), scans, 'one row per CHECKED_IN fact (counted without FINAL)')
  const checkedIn = [...want.values()].reduce((a, e) => a + e.checkedInSeats, 0)
  t.equal(Number(row!.seats), checkedIn)
  // A fresh database fed by a fresh replay gives the same figures.
  const other = await freshDatabase('attendance_replay')
  await project(other.client, other.database, p)
  t.same(
    await answers(createStatsQueries({ ...other, now: () => AFTER_EVERY_EVENT })),
    first,
    'a rebuild from the log gives the same figures',
  )
})

import t from 'tap'
import { AnalyticsSink, ANALYTICS_TOPICS, migrate } from '../../infra/clickhouse/index.ts'
import { EmbeddedProjection, type ProjectionBatch } from '../../streams/projection.ts'
import {
  analyticsSerdes,
  BookingPipeline,
  closeClient,
  freshDatabase,
  runScenario,
  sumDays,
  type Expected,
} from './analytics-harness.ts'
import type { ClickHouseClient } from '../../infra/clickhouse/index.ts'

t.teardown(closeClient)

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>()
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

const DAILY_COLUMNS = `sum(views) AS views, uniqMerge(unique_viewers) AS unique_viewers,
  sum(favorites_added) AS favorites_added, sum(favorites_removed) AS favorites_removed,
  sum(requests) AS requests, sum(holds) AS holds, sum(confirmed) AS confirmed, sum(rejected) AS rejected,
  sum(canceled) AS canceled, sum(expired) AS expired, sum(payment_failed) AS payment_failed,
  sum(seats_held) AS seats_held, sum(seats_confirmed) AS seats_confirmed, sum(seats_released) AS seats_released,
  sum(revenue_minor) AS revenue_minor, sum(revenue_refund_minor) AS revenue_refund_minor,
  sum(promo_uses) AS promo_uses, sum(refunds) AS refunds, sum(refund_minor) AS refund_minor,
  sum(payments_completed) AS payments_completed, sum(payments_failed) AS payments_failed,
  sum(events_published) AS events_published, sum(events_canceled) AS events_canceled`

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

const numbers = (row: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v]),
  )

/** Every aggregate, read back: per event and day, per organizer, platform-wide and the breakdowns. */
async function snapshot(client: ClickHouseClient, db: string) {
  return {
    eventDays: (
      await rows<Record<string, unknown>>(
        client,
        `SELECT event_id, toString(day) AS day, ${DAILY_COLUMNS}
      FROM ${db}.event_daily GROUP BY event_id, day ORDER BY event_id, day`,
      )
    ).map(numbers),
    platformDays: (
      await rows<Record<string, unknown>>(
        client,
        `SELECT toString(day) AS day, ${DAILY_COLUMNS}
      FROM ${db}.platform_daily GROUP BY day ORDER BY day`,
      )
    ).map(numbers),
    organizers: (
      await rows<Record<string, unknown>>(
        client,
        `SELECT organizer_id, sum(views) AS views,
      sum(confirmed) AS confirmed, sum(revenue_minor) AS revenue_minor, sum(refund_minor) AS refund_minor
      FROM ${db}.organizer_daily GROUP BY organizer_id ORDER BY organizer_id`,
      )
    ).map(numbers),
    priceOptions: (
      await rows<Record<string, unknown>>(
        client,
        `SELECT event_id, price_option_id,
      sum(revenue_minor) AS revenue_minor, sum(confirmed) AS confirmed FROM ${db}.price_option_daily
      GROUP BY event_id, price_option_id ORDER BY event_id, price_option_id`,
      )
    ).map(numbers),
    promos: (
      await rows<Record<string, unknown>>(
        client,
        `SELECT event_id, promo_code, sum(uses) AS uses
      FROM ${db}.promo_daily GROUP BY event_id, promo_code ORDER BY event_id, promo_code`,
      )
    ).map(numbers),
    refunds: (
      await rows<Record<string, unknown>>(
        client,
        `SELECT reason, sum(refunds) AS refunds,
      sum(amount_minor) AS amount_minor FROM ${db}.refund_daily GROUP BY reason ORDER BY reason`,
      )
    ).map(numbers),
    types: (
      await rows<Record<string, unknown>>(
        client,
        `SELECT type, sum(bookings) AS bookings
      FROM ${db}.booking_status_daily GROUP BY type ORDER BY type`,
      )
    ).map(numbers),
    facts: (
      await rows<Record<string, unknown>>(
        client,
        `SELECT
      (SELECT count() FROM ${db}.booking_facts) AS booking,
      (SELECT count() FROM ${db}.view_facts) AS views,
      (SELECT count() FROM ${db}.favorite_facts) AS favorites,
      (SELECT count() FROM ${db}.refund_facts) AS refunds,
      (SELECT count() FROM ${db}.payment_facts) AS payments,
      (SELECT count() FROM ${db}.event_facts) AS events`,
      )
    ).map(numbers),
  }
}

/** What `snapshot` must return, from the scenario plan. */
function expectedSnapshot(e: Expected) {
  const eventDays = [...e.days.keys()].sort().map((k) => {
    const [eventId, day] = k.split('|') as [string, string]
    return { event_id: eventId, day, ...asColumns(sumDays(e, (ev, d) => ev === eventId && d === day)) }
  })
  const dayList = [...new Set([...e.days.keys()].map((k) => k.split('|')[1]!))].sort()
  const platformDays = dayList.map((day) => ({ day, ...asColumns(sumDays(e, (_, d) => d === day)) }))
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
  return { eventDays, platformDays, organizers, priceOptions, promos, refunds, types }
}

t.test('facts and every aggregate equal the figures of the scenario; replays change nothing', async (t) => {
  const { client, database } = await freshDatabase('sink')
  const serdes = await analyticsSerdes()
  const p = new BookingPipeline(serdes)
  t.teardown(() => p.close())
  const expected = runScenario(p)
  await project(client, database, p)
  const first = await snapshot(client, database)
  const want = expectedSnapshot(expected)
  t.same(first.eventDays, want.eventDays, 'per event and day')
  t.same(first.platformDays, want.platformDays, 'platform-wide per day')
  t.same(first.organizers, want.organizers, 'per organizer')
  t.same(first.priceOptions, want.priceOptions, 'revenue by price option')
  t.same(first.promos, want.promos, 'promo uses')
  t.same(first.refunds, want.refunds, 'refunds by reason')
  t.same(first.types, want.types, 'bookings by fact type')
  t.equal(first.facts[0]!.booking, expected.bookingFacts, 'one booking fact per booking event')
  t.same(
    first.platformDays.map((d) => d.day),
    ['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04'],
    'four days',
  )
  t.comment(`${first.eventDays.length} event-days`)

  // A second projection over the same database (a restart), then the same batches again by hand (a replay
  // of the topics from the beginning), then a fresh sink (cold offset cache): nothing counts twice.
  await project(client, database, p)
  const sink = new AnalyticsSink({ client, database, serdes })
  for (const topic of ANALYTICS_TOPICS)
    for (let partition = 0; partition < p.log.partitions(topic); partition++) {
      const records = p.log.read(topic, partition, 0, 1_000_000).map((r) => ({ ...r, topic, partition }))
      if (records.length === 0) continue
      const batch: ProjectionBatch = { topic, partition, records, nextOffset: records.at(-1)!.offset + 1 }
      await sink.apply(batch)
    }
  t.same(await snapshot(client, database), first, 'replays leave every total unchanged')

  // The read model converges: a fresh database fed by a fresh replay holds the same figures.
  const other = await freshDatabase('sink_replay')
  await project(other.client, other.database, p)
  t.same(await snapshot(other.client, other.database), first, 'a rebuild from the log gives the same figures')
})

t.test('migrations are idempotent and refuse an edited migration', async (t) => {
  const { client, database } = await freshDatabase('migrations')
  const again = await migrate(client, { database })
  t.same(again.applied, [], 'nothing to apply the second time')
  t.ok(again.skipped.length >= 3)
  await client.command({
    query: `ALTER TABLE ${database}.schema_migrations UPDATE checksum = 'x' WHERE version = 1`,
  })
  await t.rejects(migrate(client, { database }), { code: 'INVALID_CONFIG' })
  await t.rejects(migrate(client, { database: 'bad-name' }), { code: 'INVALID_CONFIG' })
})

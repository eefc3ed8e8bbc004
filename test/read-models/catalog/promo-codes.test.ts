// Promo codes in the read model, on both engines: terms from the event snapshots, uses counted from the
// projected bookings with the ledger's rule (and checked against the ledger's own count), snapshots from
// writers before promo codes were in the snapshot, replays and rebuilds.
import t from 'tap'
import type { EventDomainEvent, PromoCodeSnapshot } from '../../../avro/index.ts'
import type { ReadModel } from '../../../read-models/catalog/index.ts'
import { rebuildReadModel } from '../../../read-models/catalog/rebuild.ts'
import type { IncomingRecord } from '../../../streams/task.ts'
import { DEFAULT_TOPIC_NAMES } from '../../../topologies/index.ts'
import {
  bookingCommand,
  bookingSerdes,
  bookRequest,
  DAY_MS,
  eventCommand,
  HOUR_MS,
  T0,
  user,
} from '../../topologies/booking-harness.ts'
import { createEvent } from './scenario.ts'
import { dbOf, engines, PipelineScenario, project, projectedTables } from './support.ts'

const serdes = await bookingSerdes()

/** The latest event fact of `eventId` on the scenario's log. */
function lastEventFact(scn: PipelineScenario, eventId: string): EventDomainEvent {
  let last: EventDomainEvent | undefined
  for (let p = 0; p < scn.log.partitions(DEFAULT_TOPIC_NAMES.eventEvents); p++)
    for (const r of scn.log.read(DEFAULT_TOPIC_NAMES.eventEvents, p, 0, 1_000_000)) {
      const fact = serdes.eventEvent.deserialize(DEFAULT_TOPIC_NAMES.eventEvents, r.value!)
      if (fact.eventId === eventId && (last === undefined || fact.version > last.version)) last = fact
    }
  if (last === undefined) throw new Error(`no event fact for ${eventId}`)
  return last
}

/**
 * Makes the ledger emit a fresh snapshot (a refund-policy change) and returns its promo use counts, to
 * compare with the read model's derived ones.
 */
function ledgerUses(scn: PipelineScenario, eventId: string): Record<string, number> {
  const outcome = scn.event(
    eventCommand(eventId, 'SET_REFUND_POLICY', {
      refundPolicy: { tiers: [{ minHoursBeforeStart: 0, percent: 100 }] },
    }),
  )
  if (!outcome.accepted) throw new Error(outcome.message)
  return Object.fromEntries((lastEventFact(scn, eventId).promoCodes ?? []).map((p) => [p.code, p.used]))
}

async function readModelUses(model: ReadModel, eventId: string): Promise<Record<string, number>> {
  const page = await model.listPromoCodes(eventId, { page: 0, size: 100 })
  return Object.fromEntries(page.items.map((p) => [p.code, p.uses]))
}

const promoCommand = (eventId: string, code: string, usageLimit: number, validFromMs: number | null = null) =>
  eventCommand(eventId, 'CREATE_PROMO_CODE', {
    createPromoCode: {
      code,
      kind: 'PERCENTAGE',
      value: 50,
      usageLimit,
      validFromMs,
      validUntilMs: T0 + 20 * DAY_MS,
      maxUsesPerUser: null,
      cancelReturnsUse: false,
    },
  })

function snapshot(
  version: number,
  promoCodes: readonly PromoCodeSnapshot[] | null,
  type: EventDomainEvent['type'] = 'UPDATED',
): EventDomainEvent {
  return {
    eventId: 'ev-old',
    version,
    type,
    status: 'PUBLISHED',
    requestId: null,
    actorUserId: null,
    occurredAtMs: T0 + version * 1000,
    organizerId: 'org-1',
    title: 'An event older than promo snapshots',
    description: 'Its first facts were written before v2.',
    place: 'Karelia, pier 1',
    startsAtMs: T0 + 10 * DAY_MS,
    endsAtMs: T0 + 11 * DAY_MS,
    categories: ['sup'],
    capacity: 5,
    seatsTaken: 0,
    publishAtMs: null,
    priceOptions: [],
    detail: null,
    promoCodes,
  }
}

const SPRING: PromoCodeSnapshot = {
  code: 'SPRING',
  kind: 'FIXED_AMOUNT',
  value: 20_000,
  usageLimit: 10,
  used: 0,
  validFromMs: T0,
  validUntilMs: T0 + 30 * DAY_MS,
  maxUsesPerUser: null,
  cancelReturnsUse: false,
  active: true,
}

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())

    t.test('uses follow holds, payments, expiry, failures and cancellations like the ledger', async (t) => {
      const scn = new PipelineScenario(serdes)
      t.teardown(() => scn.close())
      const model = await engine.open()
      t.teardown(() => model.close())
      createEvent(scn, 'ev-promo', { title: 'Promo uses', capacity: 10 }, { priceMinor: 100_000 })
      scn.event(promoCommand('ev-promo', 'DEAL', 3))
      scn.event(promoCommand('ev-promo', 'LATER', 2, T0 + 5 * DAY_MS))
      const check = async (expected: Record<string, number>, what: string) => {
        await project(scn.log, model, serdes)
        t.same(await readModelUses(model, 'ev-promo'), expected, `read model: ${what}`)
        t.same(ledgerUses(scn, 'ev-promo'), expected, `the ledger agrees: ${what}`)
      }
      await check({ DEAL: 0, LATER: 0 }, 'no bookings')

      scn.booking(bookRequest('ev-promo', 'u1', 'b1', 2, 'std', 'DEAL'))
      await check({ DEAL: 1, LATER: 0 }, 'a pending hold takes a use')
      t.equal((await model.getBooking('b1'))?.amountMinor, 100_000, '50% off 2 × 1,000.00')

      scn.booking(bookRequest('ev-promo', 'u2', 'b2', 1, 'std', 'DEAL'))
      scn.payment('ev-promo', 'b2', 'COMPLETED', 50_000)
      await check({ DEAL: 2, LATER: 0 }, 'a confirmed booking keeps it')

      scn.booking(
        bookingCommand(
          'ev-promo',
          'CANCEL',
          { cancel: { bookingId: 'b2', reason: null, forceMajeure: false } },
          user('u2'),
        ),
      )
      await check({ DEAL: 2, LATER: 0 }, 'a confirmed booking canceled later still used the code')
      t.equal((await model.getBooking('b2'))?.status, 'CANCELED')

      scn.advance(2 * HOUR_MS + 1000)
      await check({ DEAL: 1, LATER: 0 }, 'an expired hold gives its use back')
      t.equal((await model.getBooking('b1'))?.status, 'EXPIRED')

      scn.booking(bookRequest('ev-promo', 'u3', 'b3', 1, 'std', 'DEAL'))
      await check({ DEAL: 2, LATER: 0 }, 'another hold')
      scn.payment('ev-promo', 'b3', 'FAILED', 0)
      await check({ DEAL: 1, LATER: 0 }, 'a failed payment gives it back')

      scn.booking(bookRequest('ev-promo', 'u4', 'b4', 1, 'std', 'DEAL'))
      scn.booking(bookRequest('ev-promo', 'u5', 'b5', 1, 'std', 'DEAL'))
      await check({ DEAL: 3, LATER: 0 }, 'up to the limit')
      const over = scn.booking(bookRequest('ev-promo', 'u6', 'b6', 1, 'std', 'DEAL'))
      t.equal(over.reasonCode, 'PROMO_EXHAUSTED')
      await check({ DEAL: 3, LATER: 0 }, 'a refused booking takes nothing')
      t.match(await model.getPromoCode('ev-promo', 'DEAL'), { uses: 3, usesLeft: 0, usageLimit: 3 })

      const replayed = await engine.open()
      t.teardown(() => replayed.close())
      await project(scn.log, replayed, serdes, 1)
      await project(scn.log, model, serdes)
      t.same(await projectedTables(replayed), await projectedTables(model), 'record by record: same rows')
    })

    t.test('listing: creation order, every term, paging, deactivation', async (t) => {
      const scn = new PipelineScenario(serdes)
      t.teardown(() => scn.close())
      const model = await engine.open()
      t.teardown(() => model.close())
      createEvent(scn, 'ev-list', { title: 'Promo listing', capacity: 4 })
      for (const code of ['ZETA', 'ALPHA', 'MIDDLE']) scn.event(promoCommand('ev-list', code, 7, T0 + DAY_MS))
      scn.event(eventCommand('ev-list', 'DEACTIVATE_PROMO_CODE', { deactivatePromoCode: { code: 'ALPHA' } }))
      await project(scn.log, model, serdes)
      const all = await model.listPromoCodes('ev-list', { page: 0, size: 20 })
      t.same(
        all.items.map((p) => [p.code, p.active]),
        [
          ['ZETA', true],
          ['ALPHA', false],
          ['MIDDLE', true],
        ],
        'creation order, the deactivated code kept',
      )
      t.same(all.items[0], {
        code: 'ZETA',
        kind: 'PERCENTAGE',
        value: 50,
        usageLimit: 7,
        uses: 0,
        usesLeft: 7,
        validFrom: new Date(T0 + DAY_MS).toISOString(),
        validUntil: new Date(T0 + 20 * DAY_MS).toISOString(),
        active: true,
        maxUsesPerUser: null,
        cancelReturnsUse: false,
      })
      const second = await model.listPromoCodes('ev-list', { page: 1, size: 2 })
      t.same([second.items.map((p) => p.code), second.total, second.page, second.size], [['MIDDLE'], 3, 1, 2])
      t.same(await model.listPromoCodes('nope', { page: 0, size: 20 }), {
        items: [],
        page: 0,
        size: 20,
        total: 0,
      })
      t.equal(await model.getPromoCode('ev-list', 'NOPE'), undefined)
      t.equal(await model.getPromoCode('nope', 'ZETA'), undefined)
    })

    t.test('a snapshot without promoCodes (an older writer) keeps the rows; [] clears them', async (t) => {
      const model = await engine.open()
      t.teardown(() => model.close())
      const sink = model.projectionSink(serdes)
      let offset = 0
      const apply = async (...facts: EventDomainEvent[]) => {
        const records: IncomingRecord[] = facts.map((fact) => ({
          topic: DEFAULT_TOPIC_NAMES.eventEvents,
          partition: 0,
          offset: offset++,
          key: Buffer.from(fact.eventId),
          value: serdes.eventEvent.serialize(DEFAULT_TOPIC_NAMES.eventEvents, fact),
          timestamp: fact.occurredAtMs,
          headers: {},
        }))
        await sink.apply({
          topic: DEFAULT_TOPIC_NAMES.eventEvents,
          partition: 0,
          records,
          nextOffset: offset,
        })
      }
      const codes = async () => (await model.listPromoCodes('ev-old', { page: 0, size: 20 })).items
      await apply(snapshot(1, null, 'CREATED'))
      t.same(await codes(), [], 'nothing known yet')
      await apply(snapshot(2, [SPRING], 'PROMO_CODE_CREATED'))
      t.same(
        (await codes()).map((p) => p.code),
        ['SPRING'],
      )
      await apply(snapshot(3, null))
      t.same(
        (await codes()).map((p) => p.code),
        ['SPRING'],
        'null: the writer did not know, the rows stay',
      )
      await apply(snapshot(4, [SPRING]), snapshot(5, null))
      t.same(
        (await codes()).map((p) => p.code),
        ['SPRING'],
        'within one batch as well',
      )
      await apply(snapshot(6, [{ ...SPRING, active: false }]))
      t.equal((await codes())[0]?.active, false)
      await apply(snapshot(6, []))
      t.equal((await codes()).length, 1, 'a duplicate version changes nothing')
      await apply(snapshot(7, []))
      t.same(await codes(), [], 'an empty list is a real answer')
    })

    t.test('rebuild into an empty schema gives the same promo rows', async (t) => {
      const scn = new PipelineScenario(serdes)
      t.teardown(() => scn.close())
      const model = await engine.open()
      t.teardown(() => model.close())
      createEvent(scn, 'ev-rb', { title: 'Promo rebuild', capacity: 5 })
      scn.event(promoCommand('ev-rb', 'FIRST', 2))
      scn.booking(bookRequest('ev-rb', 'u1', 'b1', 1, 'std', 'FIRST'))
      scn.payment('ev-rb', 'b1', 'COMPLETED', 250_000)
      scn.booking(bookRequest('ev-rb', 'u2', 'b2', 1, 'std', 'FIRST'))
      await project(scn.log, model, serdes)
      const before = await projectedTables(model)
      t.same(
        (before.event_promo_codes as { code: string; uses: number }[]).map((r) => [r.code, r.uses]),
        [['FIRST', 2]],
      )
      const report = await rebuildReadModel(dbOf(model), { serdes, source: { log: scn.log } })
      t.equal(report.rows.event_promo_codes, 1)
      t.same(await projectedTables(model), before, 'row for row')
    })
  })
}

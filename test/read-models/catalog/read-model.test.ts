// The catalog read model on both engines (in-memory PGlite and the real PostgreSQL at DATABASE_URL, a
// schema per run dropped at the end), fed with the real outputs of the booking topology.
import t from 'tap'
import type { ReadModel, Viewer } from '../../../read-models/catalog/index.ts'
import { CategoryError } from '../../../read-models/catalog/index.ts'
import { rebuildReadModel } from '../../../read-models/catalog/rebuild.ts'
import { bookingSerdes, bookRequest, DAY_MS, HOUR_MS, T0 } from '../../topologies/booking-harness.ts'
import { catalogScenario, createEvent, ORG_1, ORG_2 } from './scenario.ts'
import { dbOf, engines, PipelineScenario, project, projectedTables, seatFiguresOffCount } from './support.ts'

const serdes = await bookingSerdes()
const { scn: catalog, refused } = catalogScenario(serdes)
t.teardown(() => catalog.close())

const GUEST: Viewer = { role: 'guest' }
const U1: Viewer = { role: 'user', userId: 'u1' }
const ORG1: Viewer = { role: 'organizer', userId: ORG_1 }
const ORG2: Viewer = { role: 'organizer', userId: ORG_2 }
const ADMIN: Viewer = { role: 'admin', userId: 'admin-1' }
const ACTOR = { userId: 'admin-1', requestId: 'req-cat' }

async function seedCategories(model: ReadModel): Promise<void> {
  await model.createCategory({ id: 'water', parentId: null, name: 'Водные походы' }, ACTOR)
  await model.createCategory({ id: 'rafting', parentId: 'water', name: 'Rafting' }, ACTOR)
  await model.createCategory({ id: 'rafting-family', parentId: 'rafting', name: 'Семейный сплав' }, ACTOR)
  await model.createCategory({ id: 'sup', parentId: 'water', name: 'SUP', position: 1 }, ACTOR)
  await model.createCategory({ id: 'hiking', parentId: null, name: 'Hiking' }, ACTOR)
}

const ids = (page: { items: readonly { id: string }[] }): string[] => page.items.map((e) => e.id)

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())
    const model = await engine.open()
    t.teardown(() => model.close())
    await seedCategories(model)
    const changes = await project(catalog.log, model, serdes)

    t.test('onApplied reports the events, bookings and requests touched', async (t) => {
      t.ok(changes.length > 0)
      t.ok(changes.some((c) => c.eventIds.includes('ev-raft')))
      t.ok(changes.some((c) => c.bookingIds.includes('b-raft-u2')))
      t.ok(changes.some((c) => c.requestIds.includes(refused.requestId)))
    })

    t.test('search: default catalog, visibility, sort and paging', async (t) => {
      const all = await model.searchEvents({ page: 0, size: 20 }, GUEST)
      t.same(ids(all), ['ev-sup', 'ev-hike', 'ev-raft'], 'published and rescheduled, by start')
      t.equal(all.total, 3)
      t.same({ page: all.page, size: all.size }, { page: 0, size: 20 })
      const raft = all.items.find((e) => e.id === 'ev-raft')!
      t.same(
        {
          area: raft.area,
          priceFrom: raft.priceFrom,
          currency: raft.currency,
          seatsAvailable: raft.seatsAvailable,
        },
        { area: 'Алтай', priceFrom: 500_000, currency: 'RUB', seatsAvailable: 6 },
      )
      t.same(
        ids(await model.searchEvents({ sort: { field: 'price', dir: 'desc' }, page: 0, size: 20 }, GUEST)),
        ['ev-raft', 'ev-sup', 'ev-hike'],
      )
      t.same(
        ids(await model.searchEvents({ sort: { field: 'title', dir: 'asc' }, page: 0, size: 20 }, GUEST)),
        ['ev-hike', 'ev-sup', 'ev-raft'],
      )
      t.same(
        ids(await model.searchEvents({ sort: { field: 'rating', dir: 'desc' }, page: 0, size: 20 }, GUEST)),
        ['ev-sup', 'ev-raft', 'ev-hike'],
        'no ratings yet: ties on the ID, same direction',
      )
      const second = await model.searchEvents({ page: 1, size: 1 }, GUEST)
      t.same([ids(second), second.total, second.page, second.size], [['ev-hike'], 3, 1, 1])
      t.equal((await model.searchEvents({ page: 0, size: 1000 }, GUEST)).size, 100, 'size clamped to 100')
      t.same(ids(await model.searchEvents({ page: 5, size: 20 }, GUEST)), [], 'past the end')
    })

    t.test('search: drafts only for their organizer and admins', async (t) => {
      const drafts = (viewer: Viewer) =>
        model
          .searchEvents(
            { status: ['DRAFT'], sort: { field: 'startsAt', dir: 'asc' }, page: 0, size: 20 },
            viewer,
          )
          .then(ids)
      t.same(await drafts(GUEST), [])
      t.same(await drafts(U1), [])
      t.same(await drafts(ORG1), ['ev-draft-1'])
      t.same(await drafts(ORG2), ['ev-draft-2'])
      t.same(await drafts(ADMIN), ['ev-draft-1', 'ev-draft-2'])
      t.same(ids(await model.searchEvents({ status: ['CANCELED'], page: 0, size: 20 }, GUEST)), [
        'ev-canceled',
      ])
      t.same(ids(await model.searchEvents({ organizerId: ORG_2, page: 0, size: 20 }, GUEST)), ['ev-hike'])
    })

    t.test('search: full text in Russian and English', async (t) => {
      const q = (text: string, viewer: Viewer = GUEST) =>
        model.searchEvents({ q: text, page: 0, size: 20 }, viewer).then(ids)
      t.same(await q('сплавы'), ['ev-raft'], 'Russian stem of the title')
      t.same(await q('байдарка'), ['ev-raft'])
      t.same(await q('горные реки'), ['ev-raft'], 'description words, both stemmed')
      t.same(await q('tour'), ['ev-sup'], 'English stem: tours')
      t.same(await q('hikes'), ['ev-hike'])
      t.same(await q('boards paddling'), ['ev-sup'])
      t.same(await q('Karelia'), ['ev-sup'], 'the place is searchable')
      t.same(await q('сплав -байдарки'), [], 'websearch syntax: exclusion')
      t.same(await q('регата'), [], 'canceled events are not in the default catalog')
      t.same(
        (
          await model.searchEvents({ q: 'сплав', status: ['DRAFT', 'PUBLISHED'], page: 0, size: 20 }, ORG1)
        ).items
          .map((e) => e.id)
          .sort(),
        ['ev-draft-1', 'ev-raft'],
        'an organizer finds their own draft, not the other one',
      )
      t.same(await q('   '), ['ev-sup', 'ev-hike', 'ev-raft'], 'a blank q does not filter')
    })

    t.test('search: filters', async (t) => {
      const f = (filters: Record<string, unknown>) =>
        model.searchEvents({ page: 0, size: 20, ...filters }, GUEST).then(ids)
      t.same(await f({ category: 'water' }), ['ev-sup', 'ev-raft'], 'a category includes its subcategories')
      t.same(await f({ category: 'rafting' }), ['ev-raft'])
      t.same(await f({ category: 'rafting-family' }), [])
      t.same(await f({ category: 'unknown' }), [])
      t.same(await f({ category: 'water', hasSeats: true }), ['ev-raft'], 'a category with seats left')
      t.same(await f({ category: 'water', hasSeats: false }), ['ev-sup'], 'a sold-out one')
      t.same(await f({ category: 'water', priceMin: 400_000 }), ['ev-raft'])
      const first = await model.searchEvents(
        { category: 'water', sort: { field: 'price', dir: 'asc' }, page: 0, size: 1 },
        GUEST,
      )
      t.same(
        [ids(first), first.total, first.totalIsEstimate],
        [['ev-sup'], 2, false],
        'counted in the category',
      )
      const next = await model.searchEvents(
        {
          category: 'water',
          sort: { field: 'price', dir: 'asc' },
          cursor: first.nextCursor!,
          page: 0,
          size: 1,
        },
        GUEST,
      )
      t.same(
        [ids(next), next.nextCursor],
        [['ev-raft'], null],
        "the cursor continues in the category's order",
      )
      t.same(await f({ from: new Date(T0 + 15 * DAY_MS) }), ['ev-hike', 'ev-raft'])
      t.same(await f({ to: new Date(T0 + 21 * DAY_MS) }), ['ev-sup', 'ev-hike'], 'to is inclusive')
      t.same(await f({ priceMin: 1, priceMax: 400_000 }), ['ev-sup'])
      t.same(await f({ priceMax: 0 }), ['ev-hike'])
      t.same(await f({ place: 'karel' }), ['ev-sup'], 'place: case-insensitive substring')
      t.same(await f({ place: '%' }), [], 'wildcards in place are literal')
      t.same(await f({ hasSeats: true }), ['ev-hike', 'ev-raft'])
      t.same(
        await f({ hasSeats: false }),
        ['ev-sup'],
        'sold out: the last seat is offered to the waiting list',
      )
      t.same(await f({ q: 'сплав', category: 'water', hasSeats: true, priceMin: 100 }), ['ev-raft'])
    })

    t.test('event details per role', async (t) => {
      const guest = await model.getEvent('ev-raft', GUEST)
      t.equal(guest?.place, null, 'guests get no meeting point')
      t.equal(guest?.crew, null, 'guests get no crew')
      t.equal(guest?.area, 'Алтай')
      t.match(guest?.description, /сплав/)
      const user = await model.getEvent('ev-raft', U1)
      t.equal(user?.place, 'Алтай, причал у моста через Катунь')
      t.same(user?.crew, [{ crewRequestId: 'crew-1', status: 'ASSIGNED' }])
      t.same(user?.priceOptions, [
        {
          id: 'std',
          name: 'Standard',
          priceMinor: 500_000,
          allotment: 10,
          seatsTaken: 4,
          seatsAvailable: 6,
          validFrom: null,
          validUntil: null,
        },
      ])
      t.equal(user?.seatsTaken, 4)
      t.equal(user?.version, await model.eventVersion('ev-raft'))
      const hike = await model.getEvent('ev-hike', U1)
      t.same(
        [hike?.status, hike?.place, hike?.startsAt],
        ['RESCHEDULED', 'Caucasus, Teberda bus station', new Date(T0 + 21 * DAY_MS).toISOString()],
      )
      t.equal((await model.getEvent('ev-canceled', GUEST))?.cancelReason, 'storm warning')
      for (const viewer of [GUEST, U1, ORG2]) t.equal(await model.getEvent('ev-draft-1', viewer), undefined)
      t.equal((await model.getEvent('ev-draft-1', ORG1))?.status, 'DRAFT')
      t.equal((await model.getEvent('ev-draft-1', ADMIN))?.status, 'DRAFT')
      t.equal(await model.getEvent('nope', ADMIN), undefined)
      t.equal(await model.eventVersion('nope'), undefined)
      t.equal(await model.eventVersion('ev-draft-2'), 2, 'versions regardless of visibility')
    })

    t.test('bookings, waiting list and outcomes', async (t) => {
      const paid = await model.getBooking('b-raft-u2')
      t.match(paid, {
        status: 'CONFIRMED',
        seats: 3,
        amountMinor: 1_500_000,
        paidMinor: 1_500_000,
        eventOrganizerId: ORG_1,
        eventTitle: 'Сплав на байдарках по Катуни',
        lastEvent: 'CONFIRMED',
      })
      t.match(paid?.ticketCode, /^T1~/)
      t.match(await model.getBooking('b-raft-u1'), { status: 'EXPIRED', lastEvent: 'EXPIRED' })
      t.match(await model.getBooking('b-raft-u3'), { status: 'PENDING_PAYMENT', holdExpiresAt: /Z$/ })
      t.match(await model.getBooking('b-sup-u4'), { seats: 1, lastEvent: 'SEATS_CHANGED' })
      t.equal(await model.getBooking('nope'), undefined)
      const mine = await model.listUserBookings('u1', { page: 0, size: 10 })
      t.same([mine.items.map((b) => b.id), mine.total], [['b-hike-u1', 'b-raft-u1'], 2], 'newest first')
      t.match(mine.items[0], { status: 'CONFIRMED', amountMinor: 0 })
      const raft = await model.listEventBookings('ev-raft', { page: 0, size: 2 })
      t.equal(raft.items.length, 2)
      t.ok(raft.total >= 3)
      t.same(await model.listWaitlist('u5'), [
        {
          eventId: 'ev-sup',
          eventTitle: 'SUP tours at sunset',
          eventStartsAt: new Date(T0 + 10 * DAY_MS).toISOString(),
          userId: 'u5',
          seats: 1,
          status: 'OFFERED',
          position: 1,
          joinedAt: (await model.listWaitlist('u5'))[0]!.joinedAt,
          offerExpiresAt: (await model.listWaitlist('u5'))[0]!.offerExpiresAt,
        },
      ])
      t.match(await model.listWaitlist('u6'), [
        { status: 'WAITING', position: 2, seats: 2, offerExpiresAt: null },
      ])
      t.same(await model.listWaitlist('u1'), [])
      const outcome = await model.getOutcome(refused.requestId)
      t.match(outcome, {
        requestId: refused.requestId,
        accepted: false,
        reasonCode: 'NO_AVAILABLE_SEATS',
        resourceType: 'BOOKING',
        resourceId: 'b-raft-u9',
        eventId: 'ev-raft',
      })
      t.equal(await model.getOutcome('nope'), undefined)
    })

    t.test('promo codes: terms from the snapshots, uses from the bookings', async (t) => {
      const promos = await model.listPromoCodes('ev-raft', { page: 0, size: 20 })
      t.same(
        promos.items.map((p) => [p.code, p.kind, p.value, p.active, p.uses, p.usesLeft]),
        [
          ['RAFT10', 'PERCENTAGE', 10, true, 1, 4],
          ['KATUN500', 'FIXED_AMOUNT', 50_000, false, 0, 1],
        ],
        "b-raft-u3's hold holds RAFT10; b-raft-u1's expired and gave its use back",
      )
      t.equal(promos.total, 2)
      t.match(await model.getBooking('b-raft-u3'), { promoCode: 'RAFT10', amountMinor: 450_000 })
      t.equal((await model.listPromoCodes('ev-sup', { page: 0, size: 20 })).total, 0)
    })

    t.test('categories: tree of 3 levels, audited', async (t) => {
      const tree = await model.listCategoryTree()
      t.same(
        tree.map((c) => [c.id, c.children.map((d) => [d.id, d.children.map((e) => e.id)])]),
        [
          ['hiking', []],
          [
            'water',
            [
              ['rafting', ['rafting-family']],
              ['sup', []],
            ],
          ],
        ],
      )
      t.equal((await model.getCategory('rafting-family'))?.level, 3)
      t.equal((await model.getCategory('water'))?.slug, 'vodnye-pohody', 'Cyrillic names transliterated')
      const code = async (p: Promise<unknown>) => {
        try {
          await p
        } catch (error) {
          return error instanceof CategoryError ? error.code : String(error)
        }
        return 'resolved'
      }
      t.equal(
        await code(model.createCategory({ parentId: 'rafting-family', name: 'Too deep' }, ACTOR)),
        'CATEGORY_TOO_DEEP',
      )
      t.equal(
        await code(model.createCategory({ parentId: 'nope', name: 'Orphan' }, ACTOR)),
        'CATEGORY_NOT_FOUND',
      )
      t.equal(
        await code(model.createCategory({ id: 'sup', parentId: null, name: 'Again' }, ACTOR)),
        'CATEGORY_CONFLICT',
      )
      t.equal(await code(model.createCategory({ parentId: null, name: '' }, ACTOR)), 'VALIDATION_FAILED')
      t.equal(
        await code(model.createCategory({ id: 'Bad Id', parentId: null, name: 'x' }, ACTOR)),
        'VALIDATION_FAILED',
      )
      t.equal(await code(model.deleteCategory('rafting', ACTOR)), 'CATEGORY_HAS_CHILDREN')
      t.equal(await code(model.updateCategory('rafting', { parentId: 'hiking' }, ACTOR)), 'resolved')
      t.equal((await model.getCategory('rafting-family'))?.level, 3, 'the subtree moves along')
      t.equal(await code(model.updateCategory('water', { parentId: 'rafting' }, ACTOR)), 'CATEGORY_TOO_DEEP')
      t.equal(
        await code(model.updateCategory('hiking', { parentId: 'rafting-family' }, ACTOR)),
        'CATEGORY_TOO_DEEP',
      )
      t.same(ids(await model.searchEvents({ category: 'hiking', page: 0, size: 20 }, GUEST)), [
        'ev-hike',
        'ev-raft',
      ])
      t.equal(
        await code(model.updateCategory('rafting', { parentId: 'water', name: 'Сплав' }, ACTOR)),
        'resolved',
      )
      const sorted = (category: string) =>
        model
          .searchEvents({ category, sort: { field: 'price', dir: 'desc' }, page: 0, size: 20 }, GUEST)
          .then(ids)
      t.same(await sorted('water'), ['ev-raft', 'ev-sup'], 'moved back: under its first root again, sorted')
      t.same(await sorted('hiking'), ['ev-hike'], 'and no longer under the other')
      t.equal(await model.updateCategory('nope', { name: 'x' }, ACTOR), undefined)
      const temp = await model.createCategory({ parentId: 'hiking', name: 'Треккинг' }, ACTOR)
      t.same([temp.id, temp.level], ['trekking', 2])
      t.equal(await model.deleteCategory('trekking', ACTOR), true)
      t.equal(await model.deleteCategory('trekking', ACTOR), false)
      const audit = await dbOf(model).query<{ action: string; before: unknown; after: unknown }>(
        `SELECT action, before, after FROM category_audit WHERE category_id = 'trekking' ORDER BY id`,
      )
      t.same(
        audit.map((a) => [a.action, a.before === null, a.after === null]),
        [
          ['CREATE', true, false],
          ['DELETE', false, true],
        ],
      )
    })

    t.test('favorites: private, idempotent, drafts hidden', async (t) => {
      t.equal(await model.addFavorite('u1', 'ev-raft'), true)
      t.equal(await model.addFavorite('u1', 'ev-raft'), false)
      t.equal(await model.addFavorite('u1', 'ev-draft-2'), true)
      t.equal(await model.isFavorite('u1', 'ev-raft'), true)
      t.equal(await model.isFavorite('u2', 'ev-raft'), false)
      const page = await model.listFavorites('u1', { page: 0, size: 10 })
      t.same(
        [page.items.map((f) => f.event.id), page.total],
        [['ev-raft'], 1],
        'a draft of another is hidden',
      )
      t.same((await model.listFavorites('u2', { page: 0, size: 10 })).items, [])
      t.equal(await model.removeFavorite('u1', 'ev-raft'), true)
      t.equal(await model.removeFavorite('u1', 'ev-raft'), false)
      await model.removeFavorite('u1', 'ev-draft-2')
    })

    t.test('replays never double-apply; batch size does not matter', async (t) => {
      const before = await projectedTables(model)
      await project(catalog.log, model, serdes)
      t.same(await projectedTables(model), before, 'a second pass over the same log changes nothing')
      // The same batch delivered twice (a redelivery): the stored offset makes the second a no-op.
      const sink = model.projectionSink(serdes)
      let redelivered = 0
      for (let p = 0; p < 12; p++) {
        const stored = catalog.log.read('aquastream.booking.events.v1', p, 0, 1000)
        if (stored.length === 0) continue
        const batch = {
          topic: 'aquastream.booking.events.v1',
          partition: p,
          records: stored.map((r) => ({ ...r, topic: 'aquastream.booking.events.v1', partition: p })),
          nextOffset: stored[stored.length - 1]!.offset + 1,
        }
        await sink.apply(batch)
        await sink.apply(batch)
        redelivered++
      }
      t.ok(redelivered > 0)
      t.same(await projectedTables(model), before, 'redelivered batches change nothing')
      const oneByOne = await engine.open()
      t.teardown(() => oneByOne.close())
      await project(catalog.log, oneByOne, serdes, 1)
      t.same(await projectedTables(oneByOne), before, 'record by record equals big batches')
      t.same(await seatFiguresOffCount(model), [], 'every seat figure equals a count of its bookings')
      t.same(await seatFiguresOffCount(oneByOne), [], 'record by record too')
    })

    t.test('rebuild into an empty schema gives the same tables row for row', async (t) => {
      await model.addFavorite('u7', 'ev-sup')
      const device = { deviceId: 'dev-r', eventId: 'ev-sup', name: 'Pier', keyHash: 'ab'.repeat(32) }
      await model.createCheckInDevice({ ...device, createdBy: ORG_1 })
      const audit = {
        actorUserId: 'admin-r',
        actorRole: 'admin' as const,
        secondFactor: true,
        action: 'GET /api/v1/admin/audit',
        targetType: null,
        targetId: null,
        requestId: null,
        traceId: 'trace-r',
        status: 200,
        before: null,
        after: null,
        input: null,
      }
      await model.appendAudit(audit)
      await model.createBulkJob({
        id: 'job-r',
        kind: 'events',
        action: 'CANCEL',
        options: { reason: 'storm' },
        actorUserId: ORG_1,
        actorRole: 'organizer',
        secondFactor: false,
        fingerprint: 'f',
        traceId: 'trace-job',
        items: [
          { targetId: 'ev-sup', requestId: 'job-r-0' },
          { targetId: 'ev-x', requestId: 'job-r-1' },
        ],
      })
      await model.markBulkItems('job-r', [
        { position: 1, eventId: null, refused: { code: 'FORBIDDEN', message: 'not yours' } },
      ])
      const before = await projectedTables(model)
      // The category keys of the events (migration 014) come from the events and the owned tree, which
      // the rebuild copies after the events are projected: they must come out row for row again.
      const categoryKeys = () =>
        dbOf(model).query('SELECT * FROM event_category_keys ORDER BY category_id, event_id')
      const keysBefore = await categoryKeys()
      t.ok(
        keysBefore.some((k) => k.category_id === 'water' && k.event_id === 'ev-raft'),
        'ancestors have keys',
      )
      // Over the whole data: the keys kept by the triggers through every projected write and category
      // change are exactly the events' categories and their ancestors, with the events' current values.
      const expected = await dbOf(model).query(
        `WITH RECURSIVE up(event_id, category_id) AS (
           SELECT e.id, c FROM events e CROSS JOIN LATERAL unnest(e.categories) AS c
           UNION SELECT up.event_id, k.parent_id FROM up JOIN categories k ON k.id = up.category_id
           WHERE k.parent_id IS NOT NULL)
         SELECT up.category_id, e.id AS event_id, e.listed, e.seats_available > 0 AS has_seats, e.title,
           e.starts_at, e.price_from, e.created_at, e.rating
         FROM up JOIN events e ON e.id = up.event_id ORDER BY up.category_id, e.id`,
      )
      t.same(keysBefore, expected, 'the category keys are the closure of the events over the tree')
      const report = await rebuildReadModel(dbOf(model), { serdes, source: { log: catalog.log } })
      t.equal(report.rows.events, 6)
      t.same(await projectedTables(model), before)
      t.same(await categoryKeys(), keysBefore, 'the category keys again, from the events and the copied tree')
      t.equal(await model.isFavorite('u7', 'ev-sup'), true, 'owned data carried over')
      t.match(
        await model.findCheckInDevice(device.keyHash),
        { deviceId: 'dev-r', eventId: 'ev-sup' },
        'check-in devices carried over',
      )
      const carried = await model.listAudit({ actor: 'admin-r', page: 0, size: 10 })
      t.match(carried.items, [{ action: audit.action, traceId: 'trace-r' }], 'the audit log carried over')
      t.match(
        await model.getBulkJob('job-r'),
        {
          producedAt: null,
          items: [
            { targetId: 'ev-sup', status: 'PENDING', decidedBy: null },
            { targetId: 'ev-x', status: 'REJECTED', decidedBy: 'api', reasonCode: 'FORBIDDEN' },
          ],
        },
        'bulk jobs and their items carried over',
      )
      t.same(
        (await model.unproducedBulkJobs()).map((job) => job.id),
        ['job-r'],
        'still to resume',
      )
      await model.appendAudit({ ...audit, traceId: 'trace-r2' })
      const ids = (await model.listAudit({ actor: 'admin-r', page: 0, size: 10 })).items.map((r) => r.id)
      t.ok(ids[0]! > ids[1]!, 'its id sequence continues after the copy')
      t.equal((await model.getCategory('rafting-family'))?.level, 3)
      const again = await model.createCategory({ parentId: null, name: 'After rebuild' }, ACTOR)
      t.equal(again.level, 1, 'audit sequence continues after the copy')
      const schemas = await dbOf(model).query<{ nspname: string }>(
        `SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`,
        [`${dbOf(model).schema}\\_%`],
      )
      t.same(schemas, [], 'no rebuild or old schema left behind')
    })

    t.test('live seat availability after holds, confirmations and expiry', async (t) => {
      const scn = new PipelineScenario(serdes)
      t.teardown(() => scn.close())
      const live = await engine.open()
      t.teardown(() => live.close())
      createEvent(scn, 'ev-live', { title: 'Live seats', capacity: 3 }, { priceMinor: 100_000 })
      const seats = async () => {
        await project(scn.log, live, serdes)
        const e = await live.getEvent('ev-live', U1)
        return [e?.seatsTaken, e?.seatsAvailable, e?.priceOptions[0]?.seatsAvailable]
      }
      t.same(await seats(), [0, 3, 3])
      scn.booking(bookRequest('ev-live', 'a', 'b-a', 2))
      t.same(await seats(), [2, 1, 1], 'a hold takes seats')
      scn.payment('ev-live', 'b-a', 'COMPLETED', 200_000)
      t.same(await seats(), [2, 1, 1], 'confirmation keeps them')
      t.equal((await live.getBooking('b-a'))?.status, 'CONFIRMED')
      scn.booking(bookRequest('ev-live', 'b', 'b-b', 1))
      t.same(await seats(), [3, 0, 0])
      t.same(ids(await live.searchEvents({ hasSeats: true, page: 0, size: 20 }, GUEST)), [])
      scn.advance(2 * HOUR_MS + 1000)
      t.same(await seats(), [2, 1, 1], 'an expired hold returns its seat')
      t.equal((await live.getBooking('b-b'))?.status, 'EXPIRED')
      t.same(ids(await live.searchEvents({ hasSeats: true, page: 0, size: 20 }, GUEST)), ['ev-live'])
    })

    t.test('health', async (t) => {
      await t.resolves(model.health())
    })
  })
}

/**
 * Booking exports and search (routes/booking-exports.ts): an event's participants as CSV for its organizer
 * and admins (another organizer refused), confirmed ones by default, without ticket codes; every export is
 * an audit record, an organizer's too. The admins' booking search narrows by user, event, status and
 * creation time, pages, and agrees with the bookings it was given; its query plans use the indexes.
 */
import t from 'tap'
import {
  ADMIN,
  ORGANIZER,
  ORGANIZER2,
  payAndConfirm,
  publishedEvent,
  startHarness,
  USER,
  USER2,
  WAIT,
  type Harness,
  type Signed,
} from './api-harness.ts'

const h: Harness = await startHarness({ rateLimits: false })
t.teardown(() => h.close())

async function book(user: Signed, eventId: string, seats = 1): Promise<{ id: string; createdAt: string }> {
  const booked = await h.call(user, {
    method: 'POST',
    url: '/api/v1/bookings',
    headers: WAIT,
    payload: { eventId, priceOptionId: 'std', seats },
  })
  if (booked.statusCode !== 201) throw new Error(`book: ${booked.statusCode} ${booked.body}`)
  return booked.json<{ id: string; createdAt: string }>()
}

const eventId = await publishedEvent(h, { capacity: 10 })
const other = await publishedEvent(h, { capacity: 10, organizer: ORGANIZER2 })
const paid = await book(USER, eventId, 2)
await payAndConfirm(h, USER, paid.id)
const pending = await book(USER2, eventId)
const elsewhere = await book(USER2, other)

const exports = async (actor: string) =>
  (
    await h.readModel.listAudit({
      action: 'GET /api/v1/events/:id/participants.csv',
      actor,
      page: 0,
      size: 100,
    })
  ).total

t.test("the participants export: the event's organizer and admins, audited", async (t) => {
  const before = await exports(ORGANIZER.sub)
  const csv = await h.call(ORGANIZER, { method: 'GET', url: `/api/v1/events/${eventId}/participants.csv` })
  t.equal(csv.statusCode, 200)
  t.match(csv.headers['content-type'], /^text\/csv/)
  t.match(csv.headers['content-disposition'], `event-${eventId}-participants.csv`)
  const [header, ...rows] = csv.body.trim().split('\r\n')
  t.equal(
    header,
    'id,userId,status,priceOptionId,seats,amountMinor,paidMinor,refundedMinor,promoCode,checkedInSeats,firstCheckedInAt,createdAt,updatedAt',
  )
  t.equal(rows.length, 1, 'the confirmed booking only, by default')
  t.match(rows[0], new RegExp(`^${paid.id},${USER.sub},CONFIRMED,std,2,`))
  const ticket = (await h.readModel.getBooking(paid.id))!.ticketCode!
  t.notOk(csv.body.includes(ticket), 'no ticket code')
  t.equal(await exports(ORGANIZER.sub), before + 1, "the organizer's export is audited")
  const [record] = (
    await h.readModel.listAudit({ action: 'GET /api/v1/events/:id/participants.csv', page: 0, size: 1 })
  ).items
  t.match(record, { actorRole: 'organizer', targetType: 'event', targetId: eventId, status: 200 })

  const all = await h.call(ADMIN, {
    method: 'GET',
    url: `/api/v1/events/${eventId}/participants.csv?status=CONFIRMED,PENDING_PAYMENT`,
  })
  t.equal(all.statusCode, 200)
  const ids = all.body
    .trim()
    .split('\r\n')
    .slice(1)
    .map((row) => row.split(',')[0])
  t.same(ids, [paid.id, pending.id], 'both, oldest first, for an admin')

  const refused = await h.call(ORGANIZER2, {
    method: 'GET',
    url: `/api/v1/events/${eventId}/participants.csv`,
  })
  t.equal(refused.statusCode, 403)
  t.equal(refused.json<{ code: string }>().code, 'FORBIDDEN')
  t.equal(await exports(ORGANIZER2.sub), 1, 'a refused export is audited too')
  t.equal(
    (await h.call(USER, { method: 'GET', url: `/api/v1/events/${eventId}/participants.csv` })).statusCode,
    403,
  )
  const missing = await h.call(ADMIN, { method: 'GET', url: '/api/v1/events/no-such-event/participants.csv' })
  t.equal(missing.statusCode, 404)
  const bad = await h.call(ADMIN, {
    method: 'GET',
    url: `/api/v1/events/${eventId}/participants.csv?status=GONE`,
  })
  t.equal(bad.statusCode, 400)
})

t.test('the admin booking search across events', async (t) => {
  type Page = { items: { id: string; status: string; userId: string; eventId: string }[]; total: number }
  const search = async (query: string) => {
    const answer = await h.call(ADMIN, { method: 'GET', url: `/api/v1/admin/bookings?${query}` })
    t.equal(answer.statusCode, 200, `${query}: ${answer.statusCode === 200 ? '' : answer.body}`)
    return answer.json<Page>()
  }
  const ofUser2 = await search(`userId=${USER2.sub}`)
  t.same(
    ofUser2.items.map((b) => b.id),
    [elsewhere.id, pending.id],
    "a user's bookings across events, newest first",
  )
  t.equal(ofUser2.total, 2)
  t.same(
    (await search(`userId=${USER2.sub}&eventId=${other}`)).items.map((b) => b.id),
    [elsewhere.id],
  )
  const confirmed = await search('status=CONFIRMED')
  t.ok(confirmed.items.some((b) => b.id === paid.id))
  t.ok(
    confirmed.items.every((b) => b.status === 'CONFIRMED'),
    'only CONFIRMED',
  )
  t.same(
    (await search(`from=${encodeURIComponent(pending.createdAt)}&eventId=${eventId}`)).items.map((b) => b.id),
    [pending.id],
    'created at or after `from`',
  )
  t.same(
    (await search(`to=${encodeURIComponent(pending.createdAt)}&eventId=${eventId}`)).items.map((b) => b.id),
    [paid.id],
    'created before `to`',
  )
  const first = await search('size=1&page=0')
  const second = await search('size=1&page=1')
  t.equal(first.items.length, 1)
  t.not(first.items[0]!.id, second.items[0]!.id, 'pages do not overlap')
  t.equal(first.total, 3)
  const before = (await h.readModel.listAudit({ action: 'GET /api/v1/admin/bookings', page: 0, size: 1 }))
    .total
  await search('status=EXPIRED')
  t.equal(
    (await h.readModel.listAudit({ action: 'GET /api/v1/admin/bookings', page: 0, size: 1 })).total,
    before + 1,
    'every search is audited',
  )
  for (const query of ['status=GONE', 'from=yesterday', 'size=101', 'userId=a%20b', 'unknown=1']) {
    const answer = await h.call(ADMIN, { method: 'GET', url: `/api/v1/admin/bookings?${query}` })
    t.equal(answer.statusCode, 400, query)
  }
  t.equal((await h.call(ORGANIZER, { method: 'GET', url: '/api/v1/admin/bookings' })).statusCode, 403)
})

t.test('the search filters are served by indexes', async (t) => {
  const db = (
    h.readModel as unknown as { db: { query: (sql: string) => Promise<Record<string, unknown>[]> } }
  ).db
  await db.query('SET enable_seqscan = off')
  const plan = async (where: string) =>
    (
      await db.query(
        `EXPLAIN SELECT * FROM bookings b WHERE ${where} ORDER BY b.created_at DESC, b.id DESC LIMIT 20`,
      )
    )
      .map((row) => Object.values(row)[0])
      .join('\n')
  t.match(await plan(`b.user_id = 'u'`), /bookings_user_idx/)
  t.match(await plan(`b.event_id = 'e'`), /bookings_event_idx/)
  t.match(await plan(`b.status = ANY('{CONFIRMED}'::text[])`), /bookings_status_created_idx/)
  t.match(await plan(`b.created_at >= '2026-01-01'::timestamptz`), /bookings_created_idx/)
  await db.query('SET enable_seqscan = on')
})

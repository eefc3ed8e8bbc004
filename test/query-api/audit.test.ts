/**
 * The durable audit: every route an admin may call, called once as an admin (from Fastify's own route
 * table, so a new route is covered), leaves exactly one audit record naming the action, the admin, the
 * second factor, the answer's status, the request ID of a command, and the target's state before a write;
 * once the pipeline has decided, each command's record carries its outcome. An organizer's writes are
 * audited, their reads and users' requests are not. The harness logs at level `silent`: the audit does not
 * depend on the log. (The state is built with the pipeline stopped, so every admin call meets it; the
 * pipeline starts again to decide the commands.)
 */
import t from 'tap'
import { ADMIN, ORGANIZER, USER, WAIT } from './api-harness.ts'
import { routeTable, startApiState, VALID_REQUESTS } from './api-state.ts'

const state = await startApiState()
t.teardown(() => state.close())
const { h } = state

const adminRoutes = routeTable(h.app).filter(
  (route) => route.includes(' /api/v1/') && !route.startsWith('HEAD ') && !route.endsWith('/availability'),
)
const audited = async (action?: string): Promise<number> =>
  (await h.readModel.listAudit({ ...(action === undefined ? {} : { action }), page: 0, size: 1 })).total

t.test(
  'every admin route once: exactly one record each, with its before and, once decided, its outcome',
  async (t) => {
    const commands: string[] = []
    for (const route of adminRoutes) {
      const request = VALID_REQUESTS[route]
      t.ok(request, `${route} has a request to send`)
      if (request === undefined) continue
      const options = await request(state)
      const total = await audited()
      const answer = await h.call(ADMIN, options)
      t.equal(await audited(), total + 1, `${route}: one record (answered ${answer.statusCode})`)
      const [record] = (await h.readModel.listAudit({ action: route, page: 0, size: 1 })).items
      t.match(
        record,
        { actorUserId: ADMIN.sub, actorRole: 'admin', secondFactor: true, status: answer.statusCode },
        `${route}: who, how and the answer`,
      )
      t.ok(record!.traceId.length > 0, `${route}: a trace ID`)
      const requestId = answer.headers['x-request-id']
      if (typeof requestId === 'string' && answer.statusCode < 300) {
        t.equal(record!.requestId, requestId, `${route}: the command's request ID`)
        commands.push(requestId)
      }
      const [method, path] = route.split(' ') as [string, string]
      const id = (record!.input as { params?: { id?: string } } | null)?.params?.id
      if (
        method !== 'GET' &&
        id !== undefined &&
        /^\/api\/v1\/(events|bookings)\/:id/.test(path) &&
        answer.statusCode < 300
      )
        t.match(record!.before, { id }, `${route}: the target before the write`)
    }
    t.ok(commands.length >= 10, `${commands.length} commands audited`)
    await h.startPipeline() // the state's pipeline was stopped: now the commands get decided
    let undecided: string[] = commands
    for (let i = 0; i < 200 && undecided.length > 0; i++) {
      await h.projection.caughtUp()
      const records = (await h.readModel.listAudit({ actor: ADMIN.sub, page: 0, size: 1000 })).items
      const decided = new Set(records.filter((r) => r.outcome !== null).map((r) => r.requestId))
      undecided = commands.filter((requestId) => !decided.has(requestId))
      if (undecided.length > 0) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    t.same(undecided, [], "every command's record shows its decided outcome")
  },
)

t.test('organizers: writes audited, reads not; users never', async (t) => {
  const total = await audited()
  const read = await h.call(ORGANIZER, { method: 'GET', url: `/api/v1/events/${state.fixture.published}` })
  t.equal(read.statusCode, 200)
  t.equal(await audited(), total, "an organizer's read leaves no record")
  const mine = await h.call(USER, { method: 'GET', url: '/api/v1/bookings' })
  t.equal(mine.statusCode, 200)
  t.equal(await audited(), total, "a user's request leaves no record")
  const published = await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${state.fixture.draft}/publish`,
    headers: WAIT,
  })
  t.equal(published.statusCode, 200)
  const [record] = (
    await h.readModel.listAudit({
      action: 'POST /api/v1/events/:id/publish',
      actor: ORGANIZER.sub,
      page: 0,
      size: 1,
    })
  ).items
  t.match(record, {
    actorRole: 'organizer',
    targetType: 'event',
    targetId: state.fixture.draft,
    before: { id: state.fixture.draft, status: 'DRAFT' },
    outcome: { accepted: true },
  })
})

t.test('the audit log exports as CSV, and the export is audited', async (t) => {
  const before = await audited('GET /api/v1/admin/audit')
  const csv = await h.call(ADMIN, {
    method: 'GET',
    url: `/api/v1/admin/audit?format=csv&actor=${ORGANIZER.sub}`,
  })
  t.equal(csv.statusCode, 200)
  t.match(csv.headers['content-type'], /^text\/csv/)
  const [header, ...rows] = csv.body.trim().split('\r\n')
  t.equal(
    header,
    'id,at,actorUserId,actorRole,secondFactor,action,targetType,targetId,requestId,traceId,status,before,after,outcome',
  )
  t.ok(rows.length >= 1 && rows.every((row) => row.includes(ORGANIZER.sub)), 'only the filtered actor')
  t.equal(await audited('GET /api/v1/admin/audit'), before + 1)
})

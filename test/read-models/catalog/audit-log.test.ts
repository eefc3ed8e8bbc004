// The audit log on both engines: records read back with filters, newest first; a command's record shows
// its outcome once projected; the table refuses UPDATE, DELETE and TRUNCATE to the application's role.
import t from 'tap'
import type { AuditEntry } from '../../../read-models/catalog/index.ts'
import { dbOf, engines } from './support.ts'

const entry = (overrides: Partial<AuditEntry>): AuditEntry => ({
  actorUserId: 'admin-1',
  actorRole: 'admin',
  secondFactor: true,
  action: 'POST /api/v1/events/:id/cancel',
  targetType: 'event',
  targetId: 'ev-1',
  requestId: null,
  traceId: 'trace-1',
  status: 202,
  before: { id: 'ev-1', status: 'PUBLISHED' },
  after: null,
  input: { params: { id: 'ev-1' }, query: {}, body: { reason: 'storm' } },
  ...overrides,
})

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())
    const model = await engine.open()
    t.teardown(() => model.close())
    const db = dbOf(model)
    await model.appendAudit(entry({ requestId: 'req-1' }))
    await model.appendAudit(
      entry({ actorUserId: 'org-1', actorRole: 'organizer', secondFactor: false, targetId: 'ev-2' }),
    )
    await model.appendAudit(
      entry({
        action: 'GET /api/v1/admin/audit',
        targetType: null,
        targetId: null,
        status: 200,
        before: null,
      }),
    )

    const all = await model.listAudit({ page: 0, size: 10 })
    t.equal(all.total, 3)
    t.same(
      all.items.map((r) => r.action),
      ['GET /api/v1/admin/audit', 'POST /api/v1/events/:id/cancel', 'POST /api/v1/events/:id/cancel'],
      'newest first',
    )
    t.same(
      (await model.listAudit({ actor: 'org-1', page: 0, size: 10 })).items.map((r) => r.targetId),
      ['ev-2'],
    )
    t.equal((await model.listAudit({ target: 'ev-1', page: 0, size: 10 })).total, 1)
    t.equal((await model.listAudit({ action: 'GET /api/v1/admin/audit', page: 0, size: 10 })).total, 1)
    const future = new Date(Date.now() + 60_000).toISOString()
    t.equal((await model.listAudit({ from: future, page: 0, size: 10 })).total, 0)
    t.equal((await model.listAudit({ to: future, page: 0, size: 10 })).total, 3)

    const command = (await model.listAudit({ target: 'ev-1', page: 0, size: 10 })).items[0]!
    t.same(command.before, { id: 'ev-1', status: 'PUBLISHED' })
    t.same(command.input, { params: { id: 'ev-1' }, query: {}, body: { reason: 'storm' } })
    t.equal(command.outcome, null, 'undecided: no outcome yet')
    await db.query(
      `INSERT INTO request_outcomes (request_id, event_id, command_type, accepted, resource_type, resource_id,
         reason_code, message, decided_at)
       VALUES ('req-1', 'ev-1', 'event.CANCEL', true, 'EVENT', 'ev-1', NULL, 'canceled', now())`,
    )
    const decided = (await model.listAudit({ target: 'ev-1', page: 0, size: 10 })).items[0]!
    t.match(decided.outcome, { accepted: true, reasonCode: null, message: 'canceled', resourceId: 'ev-1' })

    for (const statement of [
      'UPDATE audit_log SET status = 500',
      'DELETE FROM audit_log',
      'TRUNCATE audit_log',
    ])
      await t.rejects(db.query(statement), /append-only/, `${statement.split(' ')[0]} is refused`)
    t.equal((await model.listAudit({ page: 0, size: 10 })).total, 3, 'every record is still there')
  })
}

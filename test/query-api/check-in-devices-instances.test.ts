// Two API instances on one PostgreSQL read model (the real mode's shape): a device key created through one
// works on both, and revoked through one is refused by the other on its very next request, because every
// instance looks the key up per request and caches nothing.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildApp } from '../../query-api/app.ts'
import { actorOf } from '../../query-api/auth.ts'
import { CommandProducer } from '../../query-api/commands/command-producer.ts'
import { EmbeddedCommandTransport } from '../../query-api/commands/embedded-transport.ts'
import { CHECK_IN_ROLES } from '../../query-api/routes/check-in-devices.ts'
import { openReadModel } from '../../read-models/catalog/index.ts'
import { bookingSerdes } from '../topologies/booking-harness.ts'
import { createEvent, ORG_1 } from '../read-models/catalog/scenario.ts'
import { DATABASE_URL, dbOf, engines, PipelineScenario, project } from '../read-models/catalog/support.ts'
import { AUTH, tokenFor, WEBHOOK_SECRET } from './api-harness.ts'

const probe = (app: FastifyInstance) => {
  app.get<{ Params: { id: string } }>(
    '/events/:id/device-probe',
    { config: { roles: CHECK_IN_ROLES } },
    async (request) => ({ actor: actorOf(request.principal) }),
  )
}

const serdes = await bookingSerdes()
const postgres = engines().find((e) => e.name === 'postgres')!
t.teardown(() => postgres.cleanup())
const first = await postgres.open()
t.teardown(() => first.close())
const scn = new PipelineScenario(serdes)
t.teardown(() => scn.close())
createEvent(scn, 'ev-pier', { title: 'Pier', capacity: 5 })
await project(scn.log, first, serdes)
const schema = dbOf(first).schema
const second = await openReadModel({ databaseUrl: DATABASE_URL, schema, poolSize: 2 })
t.teardown(() => second.close())

const apps = await Promise.all(
  [first, second].map((readModel) =>
    buildApp({
      readModel,
      commands: new CommandProducer(new EmbeddedCommandTransport(scn.log), serdes),
      auth: AUTH,
      webhookSecret: WEBHOOK_SECRET,
      rateLimits: false,
      plugins: [probe],
    }),
  ),
)
t.teardown(() => Promise.all(apps.map((app) => app.close())))
const [a, b] = apps as [FastifyInstance, FastifyInstance]

t.test('created on one instance, revoked on it: refused at once on the other', async (t) => {
  const organizer = { authorization: `Bearer ${await tokenFor({ sub: ORG_1, role: 'organizer' })}` }
  const created = await a.inject({
    method: 'POST',
    url: '/api/v1/events/ev-pier/check-in-devices',
    headers: organizer,
    payload: { name: 'Pier gate' },
  })
  t.equal(created.statusCode, 201, created.body)
  const { key, deviceId } = created.json<{ key: string; deviceId: string }>()
  const scan = (app: FastifyInstance) =>
    app.inject({
      method: 'GET',
      url: '/api/v1/events/ev-pier/device-probe',
      headers: { authorization: `Bearer ${key}` },
    })
  for (const app of [a, b]) {
    const answer = await scan(app)
    t.equal(answer.statusCode, 200, answer.body)
    t.same(answer.json(), { actor: { userId: ORG_1, role: 'ORGANIZER' } })
  }
  const listed = await b.inject({
    method: 'GET',
    url: '/api/v1/events/ev-pier/check-in-devices',
    headers: organizer,
  })
  t.same(
    listed.json<{ items: { deviceId: string }[] }>().items.map((d) => d.deviceId),
    [deviceId],
    'listed by the other instance',
  )
  const revoked = await a.inject({
    method: 'DELETE',
    url: `/api/v1/events/ev-pier/check-in-devices/${deviceId}`,
    headers: organizer,
  })
  t.equal(revoked.statusCode, 204)
  t.equal((await scan(b)).statusCode, 401, 'the other instance refuses it on the next request')
  t.equal((await scan(a)).statusCode, 401)
})

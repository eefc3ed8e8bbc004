import pino from 'pino'
import t from 'tap'
import { CommandProducer } from '../../query-api/commands/command-producer.ts'
import { EmbeddedCommandTransport } from '../../query-api/commands/embedded-transport.ts'
import { reviewDemoEventWhenCompleted, seedDemoCatalog } from '../../query-api/demo-catalog.ts'
import { startHarness } from './api-harness.ts'
import { LocalSchemaRegistry } from '../../avro/index.ts'
import { createBookingSerdes } from '../../topologies/booking-topology.ts'

const h = await startHarness({ seedCategories: false })
t.teardown(() => h.close())

t.test('the demo catalog comes up through the command path, once', async (t) => {
  const serdes = createBookingSerdes(new LocalSchemaRegistry())
  await serdes.init()
  const commands = new CommandProducer(new EmbeddedCommandTransport(h.log), serdes)
  const logger = pino({ level: 'silent' })
  t.same(await seedDemoCatalog({ readModel: h.readModel, commands, logger }), { seeded: true })
  // the pipeline decides asynchronously: wait until the projection shows the last event's fate
  let canceled
  for (let i = 0; i < 200; i++) {
    await h.projection.caughtUp()
    canceled = await h.readModel.getEvent('demo-black-sea-sailing', { role: 'admin', userId: 'a' })
    if (canceled?.status === 'CANCELED') break
    await new Promise((r) => setTimeout(r, 50))
  }
  t.equal(canceled?.status, 'CANCELED')
  const catalog = await h.call('guest', { method: 'GET', url: '/api/v1/events?size=100' })
  t.ok(catalog.json().total >= 9, `${catalog.json().total} bookable events`)
  const soldOut = await h.readModel.getEvent('demo-chuya-extreme', { role: 'guest' })
  t.equal(soldOut?.seatsAvailable, 0, 'sold out')
  t.equal((await h.readModel.getEvent('demo-baikal-sup', { role: 'guest' }))?.status, 'RESCHEDULED')
  const tree = (await h.call('guest', { method: 'GET', url: '/api/v1/categories' })).json().items
  const water = tree.find((c: { id: string }) => c.id === 'water')
  t.equal(
    water.children.find((c: { id: string }) => c.id === 'rafting').children.length,
    2,
    'three levels deep',
  )
  t.same(
    await seedDemoCatalog({ readModel: h.readModel, commands, logger }),
    { seeded: false },
    'a second start seeds nothing',
  )
})

t.test('the completing demo event is reviewed once it is over: ratings show', async (t) => {
  const h = await startHarness({ seedCategories: false })
  t.teardown(() => h.close())
  const serdes = createBookingSerdes(new LocalSchemaRegistry())
  await serdes.init()
  const commands = new CommandProducer(new EmbeddedCommandTransport(h.log), serdes)
  const logger = pino({ level: 'silent' })
  t.same(await seedDemoCatalog({ readModel: h.readModel, commands, logger, completesInMs: 3_000 }), {
    seeded: true,
  })
  const stop = reviewDemoEventWhenCompleted({
    readModel: h.readModel,
    commands,
    logger,
    pollMs: 200,
    justSeeded: true,
  })
  t.teardown(stop)
  let event
  for (let i = 0; i < 300; i++) {
    await h.projection.caughtUp()
    event = await h.readModel.getEvent('demo-sunset-sup-today', { role: 'guest' })
    if (event?.reviewCount === 3) break
    await new Promise((r) => setTimeout(r, 100))
  }
  t.equal(event?.status, 'COMPLETED')
  t.equal(event?.reviewCount, 3, 'three reviews published, the spam one rejected')
  t.equal(event?.rating, 4.7, 'mean of 5, 4 and 5')
  const reviews = (
    await h.call('guest', { method: 'GET', url: '/api/v1/events/demo-sunset-sup-today/reviews' })
  ).json()
  t.same(reviews.items.map((r: { authorName: string }) => r.authorName).sort(), [
    'Анна К.',
    'Игорь',
    'Мария Л.',
  ])
  const queue = await h.readModel.getReview('demo-sunset-sup-today-review-4')
  t.equal(queue?.status, 'REJECTED')
})

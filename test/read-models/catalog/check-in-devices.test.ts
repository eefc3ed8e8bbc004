// Check-in devices in the read model's own table, on PGlite and PostgreSQL: created, listed without any
// key, revoked at once for lookups, at most MAX_DEVICES_PER_EVENT active per event, and looked up with the
// event's organizer as the projection knows it.
import { createHash } from 'node:crypto'
import t from 'tap'
import { MAX_DEVICES_PER_EVENT } from '../../../read-models/catalog/index.ts'
import { bookingSerdes } from '../../topologies/booking-harness.ts'
import { createEvent, ORG_1 } from './scenario.ts'
import { dbOf, engines, PipelineScenario, project } from './support.ts'

const serdes = await bookingSerdes()
const hash = (key: string) => createHash('sha256').update(key).digest('hex')

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())
    const model = await engine.open()
    t.teardown(() => model.close())
    const scn = new PipelineScenario(serdes)
    t.teardown(() => scn.close())
    createEvent(scn, 'ev-pier', { title: 'Pier', capacity: 5 })
    await project(scn.log, model, serdes)

    t.test('create, list, look up, revoke', async (t) => {
      const created = await model.createCheckInDevice({
        deviceId: 'dev-1',
        eventId: 'ev-pier',
        name: 'Pier gate',
        keyHash: hash('ckd_one'),
        createdBy: ORG_1,
      })
      t.match(created, { deviceId: 'dev-1', eventId: 'ev-pier', name: 'Pier gate', createdBy: ORG_1 })
      t.ok(Number.isFinite(Date.parse(created!.createdAt)), 'createdAt is an instant')
      t.same(Object.keys(created!).sort(), ['createdAt', 'createdBy', 'deviceId', 'eventId', 'name'])
      t.same(await model.findCheckInDevice(hash('ckd_one')), {
        deviceId: 'dev-1',
        eventId: 'ev-pier',
        organizerId: ORG_1,
      })
      t.equal(await model.findCheckInDevice(hash('ckd_other')), undefined, 'an unknown key finds nothing')
      t.same(
        (await model.listCheckInDevices('ev-pier')).map((d) => d.deviceId),
        ['dev-1'],
      )
      t.equal(await model.revokeCheckInDevice('ev-other', 'dev-1'), false, 'not through another event')
      t.equal(await model.revokeCheckInDevice('ev-pier', 'dev-1'), true)
      t.equal(await model.findCheckInDevice(hash('ckd_one')), undefined, 'revoked: found no more')
      t.equal(await model.revokeCheckInDevice('ev-pier', 'dev-1'), false, 'revoked once')
      t.same(await model.listCheckInDevices('ev-pier'), [], 'revoked devices leave the list')
    })

    t.test('the store holds hashes only', async (t) => {
      const rows = await dbOf(model).query<Record<string, unknown>>('SELECT * FROM check_in_devices')
      t.ok(rows.length > 0)
      for (const row of rows) {
        t.notOk(JSON.stringify(row).includes('ckd_'), 'no key in any column')
        t.match(row.key_hash, /^[0-9a-f]{64}$/)
      }
    })

    t.test(`at most ${MAX_DEVICES_PER_EVENT} active devices per event`, async (t) => {
      for (let i = 0; i < MAX_DEVICES_PER_EVENT; i++)
        t.ok(
          await model.createCheckInDevice({
            deviceId: `dev-many-${i}`,
            eventId: 'ev-pier',
            name: `Gate ${i}`,
            keyHash: hash(`ckd_many_${i}`),
            createdBy: ORG_1,
          }),
        )
      const over = {
        deviceId: 'dev-over',
        eventId: 'ev-pier',
        name: 'One too many',
        keyHash: hash('ckd_over'),
        createdBy: ORG_1,
      }
      t.equal(await model.createCheckInDevice(over), undefined, 'refused at the limit')
      t.equal(await model.revokeCheckInDevice('ev-pier', 'dev-many-0'), true)
      t.ok(await model.createCheckInDevice(over), 'a revoked device frees its place')
      t.equal((await model.listCheckInDevices('ev-pier')).length, MAX_DEVICES_PER_EVENT)
    })

    t.test('a device of an event the projection does not know has no organizer', async (t) => {
      await model.createCheckInDevice({
        deviceId: 'dev-ghost',
        eventId: 'ev-ghost',
        name: 'Ghost',
        keyHash: hash('ckd_ghost'),
        createdBy: 'admin-1',
      })
      t.same(await model.findCheckInDevice(hash('ckd_ghost')), {
        deviceId: 'dev-ghost',
        eventId: 'ev-ghost',
        organizerId: null,
      })
    })
  })
}

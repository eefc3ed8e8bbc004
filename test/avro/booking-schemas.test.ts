// The booking contracts' v2 (RECONFIRM, the top-up and RECONFIRMED facts): v1 data reads with v2 readers
// (new fields take their defaults), while v1 readers cannot resolve v2 writers (new enum symbols), so
// consumers of aquastream.booking.commands.v1 and aquastream.booking.events.v1 upgrade before producers.
// BookingCommand v3 adds the optional `idempotencyKey`: compatible both ways.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { checkCompatibility, loadSchemaFiles, parseSchema, type SchemaFile } from '../../avro/index.ts'
import { fixturePaths } from '../fixtures/avro/fixture-paths.ts'

function version(fullName: string, n: number): SchemaFile {
  const file = loadSchemaFiles().find((f) => f.fullName === fullName && f.version === n)
  if (file === undefined) throw new Error(`${fullName} v${n} not found`)
  return file
}

for (const name of ['BookingCommand', 'BookingDomainEvent']) {
  t.test(`${name} v1 → v2 is backward compatible only`, async (t) => {
    const v1 = version(`aquastream.booking.${name}`, 1)
    const v2 = version(`aquastream.booking.${name}`, 2)
    t.equal(v2.version, 2)
    const result = checkCompatibility(v1.schema, v2.schema)
    t.equal(result.backward, true, 'v2 reads v1 data')
    t.equal(result.forward, false, 'v1 cannot read v2 data: deploy consumers first')
    t.match(result.reason, /forward: .*Type/)
  })
}

t.test('a v1 BookingCommand reads as v2 with reconfirm null', async (t) => {
  const v1 = version('aquastream.booking.BookingCommand', 1)
  const v2 = version('aquastream.booking.BookingCommand', 2)
  const v1Type = parseSchema(v1.schema)
  const v2Type = parseSchema(v2.schema)
  const old = v1Type.fromString(readFileSync(fixturePaths(v1).json, 'utf8')) as Record<string, unknown>
  const bytes = readFileSync(fixturePaths(v1).bin)
  t.same(v2Type.fromBuffer(bytes, v2Type.createResolver(v1Type)), { ...old, reconfirm: null })
})

t.test('the v2 fixtures are a RECONFIRM command and a SEATS_CHANGE_HELD fact', async (t) => {
  const command = version('aquastream.booking.BookingCommand', 2)
  const fact = version('aquastream.booking.BookingDomainEvent', 2)
  t.match(parseSchema(command.schema).fromBuffer(readFileSync(fixturePaths(command).bin)), {
    type: 'RECONFIRM',
    reconfirm: { bookingId: 'b-42' },
  })
  t.match(parseSchema(fact.schema).fromBuffer(readFileSync(fixturePaths(fact).bin)), {
    type: 'SEATS_CHANGE_HELD',
    status: 'CONFIRMED',
  })
})

t.test(
  'BookingCommand v3 (idempotencyKey) is compatible both ways with v2; v2 data reads with no key',
  async (t) => {
    const v2 = version('aquastream.booking.BookingCommand', 2)
    const v3 = version('aquastream.booking.BookingCommand', 3)
    t.ok(v3.current, 'v3 is the current schema')
    t.same(checkCompatibility(v2.schema, v3.schema), { backward: true, forward: true })
    const v2Type = parseSchema(v2.schema)
    const v3Type = parseSchema(v3.schema)
    const old = v2Type.fromString(readFileSync(fixturePaths(v2).json, 'utf8')) as Record<string, unknown>
    t.same(v3Type.fromBuffer(readFileSync(fixturePaths(v2).bin), v3Type.createResolver(v2Type)), {
      ...old,
      idempotencyKey: null,
    })
  },
)

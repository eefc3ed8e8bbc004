// The booking contracts' v2 (RECONFIRM, the top-up and RECONFIRMED facts): v1 data reads with v2 readers
// (new fields take their defaults), while v1 readers cannot resolve v2 writers (new enum symbols), so
// consumers of aquastream.booking.commands.v1 and aquastream.booking.events.v1 upgrade before producers.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { checkCompatibility, loadSchemaFiles, parseSchema, type SchemaFile } from '../../avro/index.ts'
import { fixturePaths } from '../fixtures/avro/fixture-paths.ts'

function versions(fullName: string): [SchemaFile, SchemaFile] {
  const files = loadSchemaFiles().filter((file) => file.fullName === fullName)
  return [files.find((f) => f.version === 1)!, files.find((f) => f.current)!]
}

for (const name of ['BookingCommand', 'BookingDomainEvent']) {
  t.test(`${name} v1 → v2 is backward compatible only`, async (t) => {
    const [v1, v2] = versions(`aquastream.booking.${name}`)
    t.equal(v2.version, 2)
    const result = checkCompatibility(v1.schema, v2.schema)
    t.equal(result.backward, true, 'v2 reads v1 data')
    t.equal(result.forward, false, 'v1 cannot read v2 data: deploy consumers first')
    t.match(result.reason, /forward: .*Type/)
  })
}

t.test('a v1 BookingCommand reads as v2 with reconfirm null', async (t) => {
  const [v1, v2] = versions('aquastream.booking.BookingCommand')
  const v1Type = parseSchema(v1.schema)
  const v2Type = parseSchema(v2.schema)
  const old = v1Type.fromString(readFileSync(fixturePaths(v1).json, 'utf8')) as Record<string, unknown>
  const bytes = readFileSync(fixturePaths(v1).bin)
  t.same(v2Type.fromBuffer(bytes, v2Type.createResolver(v1Type)), { ...old, reconfirm: null })
})

t.test('the v2 fixtures are a RECONFIRM command and a SEATS_CHANGE_HELD fact', async (t) => {
  const [, command] = versions('aquastream.booking.BookingCommand')
  const [, fact] = versions('aquastream.booking.BookingDomainEvent')
  t.match(parseSchema(command.schema).fromBuffer(readFileSync(fixturePaths(command).bin)), {
    type: 'RECONFIRM',
    reconfirm: { bookingId: 'b-42' },
  })
  t.match(parseSchema(fact.schema).fromBuffer(readFileSync(fixturePaths(fact).bin)), {
    type: 'SEATS_CHANGE_HELD',
    status: 'CONFIRMED',
  })
})

// The booking contracts' v2 (RECONFIRM, the top-up and RECONFIRMED facts): v1 data reads with v2 readers
// (new fields take their defaults), while v1 readers cannot resolve v2 writers (new enum symbols), so
// consumers of aquastream.booking.commands.v1 and aquastream.booking.events.v1 upgrade before producers.
// BookingCommand v3 adds the optional `idempotencyKey`: compatible both ways. BookingCommand v4 (CHECK_IN,
// REISSUE_TICKET) and BookingDomainEvent v3 (CHECKED_IN, TICKET_REISSUED) add enum symbols again: backward only.
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

for (const [name, from, to] of [
  ['BookingCommand', 3, 4],
  ['BookingDomainEvent', 2, 3],
] as const) {
  t.test(
    `${name} v${from} → v${to} (check-in) is backward compatible only; old data reads with no check-in`,
    async (t) => {
      const older = version(`aquastream.booking.${name}`, from)
      const newer = version(`aquastream.booking.${name}`, to)
      t.ok(newer.current, `v${to} is the current schema`)
      const result = checkCompatibility(older.schema, newer.schema)
      t.equal(result.backward, true)
      t.equal(result.forward, false, 'new symbols: deploy consumers first')
      const olderType = parseSchema(older.schema)
      const newerType = parseSchema(newer.schema)
      const old = olderType.fromString(readFileSync(fixturePaths(older).json, 'utf8')) as Record<
        string,
        unknown
      >
      const read = newerType.fromBuffer(
        readFileSync(fixturePaths(older).bin),
        newerType.createResolver(olderType),
      )
      t.same(
        read,
        name === 'BookingCommand'
          ? { ...old, checkIn: null, reissueTicket: null }
          : { ...old, checkedInSeats: null, scannedAtMs: null, deviceId: null },
      )
    },
  )
}

t.test(
  'the v4 command fixture is a CHECK_IN, the v3 fact a CHECKED_IN, the v4 outcome carries its result',
  async (t) => {
    const command = version('aquastream.booking.BookingCommand', 4)
    const fact = version('aquastream.booking.BookingDomainEvent', 3)
    const outcome = loadSchemaFiles().find(
      (f) => f.fullName === 'aquastream.outcome.RequestOutcome' && f.version === 4,
    )!
    t.match(parseSchema(command.schema).fromBuffer(readFileSync(fixturePaths(command).bin)), {
      type: 'CHECK_IN',
      checkIn: { seats: 1, deviceId: 'pier-1' },
    })
    t.match(parseSchema(fact.schema).fromBuffer(readFileSync(fixturePaths(fact).bin)), {
      type: 'CHECKED_IN',
      checkedInSeats: 2,
    })
    t.match(parseSchema(outcome.schema).fromBuffer(readFileSync(fixturePaths(outcome).bin)), {
      reasonCode: 'TICKET_ALREADY_USED',
      checkIn: { bookingId: 'b-42', seats: 3, checkedInSeats: 3 },
    })
    t.same(
      checkCompatibility(version('aquastream.booking.BookingCommand', 3).schema, command.schema).backward,
      true,
    )
  },
)

// EventCommand v3 and EventDomainEvent v3 add a promo code's per-user limit (`maxUsesPerUser`, nullable,
// default null) and whether a canceled booking gives its use back (`cancelReturnsUse`, default false):
// compatible both ways with v2, so producers and consumers upgrade in any order. v2 data reads as "no
// per-user limit, a canceled booking keeps its use", the rule before v3.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { checkCompatibility, loadSchemaFiles, parseSchema, type SchemaFile } from '../../avro/index.ts'
import { fixturePaths } from '../fixtures/avro/fixture-paths.ts'

function version(fullName: string, n: number): SchemaFile {
  const file = loadSchemaFiles().find((f) => f.fullName === fullName && f.version === n)
  if (file === undefined) throw new Error(`${fullName} v${n} not found`)
  return file
}

function read(file: SchemaFile): { value: Record<string, unknown>; bytes: Buffer } {
  const type = parseSchema(file.schema)
  const paths = fixturePaths(file)
  return {
    value: type.fromString(readFileSync(paths.json, 'utf8')) as Record<string, unknown>,
    bytes: readFileSync(paths.bin),
  }
}

for (const name of ['EventCommand', 'EventDomainEvent']) {
  t.test(`${name} v3 is current and compatible with v2 both ways`, async (t) => {
    const v2 = version(`aquastream.event.${name}`, 2)
    const v3 = version(`aquastream.event.${name}`, 3)
    t.ok(v3.current)
    t.notOk(v2.current)
    t.same(checkCompatibility(v2.schema, v3.schema), { backward: true, forward: true })
  })
}

t.test(
  'a v2 CREATE_PROMO_CODE-less command reads as v3 unchanged; the v3 fixture carries the limit',
  async (t) => {
    const v2 = version('aquastream.event.EventCommand', 2)
    const v3 = version('aquastream.event.EventCommand', 3)
    const v2Type = parseSchema(v2.schema)
    const v3Type = parseSchema(v3.schema)
    const old = read(v2)
    t.same(v3Type.fromBuffer(old.bytes, v3Type.createResolver(v2Type)), old.value)
    const fresh = read(v3)
    const decoded = v3Type.fromBuffer(fresh.bytes) as { createPromoCode: Record<string, unknown> }
    t.match(decoded.createPromoCode, { code: 'ONEEACH', maxUsesPerUser: 1, cancelReturnsUse: true })
    const asV2 = v2Type.fromBuffer(fresh.bytes, v2Type.createResolver(v3Type)) as {
      createPromoCode: Record<string, unknown>
    }
    t.notOk('maxUsesPerUser' in asV2.createPromoCode, 'a v2 reader does not see the limit')
    t.equal(asV2.createPromoCode.usageLimit, 100)
  },
)

t.test('v2 snapshots read as v3 with no per-user limit and uses kept on cancel', async (t) => {
  const v2 = version('aquastream.event.EventDomainEvent', 2)
  const v3 = version('aquastream.event.EventDomainEvent', 3)
  const v2Type = parseSchema(v2.schema)
  const v3Type = parseSchema(v3.schema)
  const old = read(v2)
  const upgraded = v3Type.fromBuffer(old.bytes, v3Type.createResolver(v2Type)) as {
    promoCodes: Record<string, unknown>[]
  }
  const oldCodes = old.value.promoCodes as Record<string, unknown>[]
  t.same(
    upgraded.promoCodes,
    oldCodes.map((p) => ({ ...p, maxUsesPerUser: null, cancelReturnsUse: false })),
  )
  const fresh = read(v3)
  const asV2 = v2Type.fromBuffer(fresh.bytes, v2Type.createResolver(v3Type)) as {
    promoCodes: Record<string, unknown>[]
  }
  const freshCodes = fresh.value.promoCodes as Record<string, unknown>[]
  t.equal(freshCodes[0]?.maxUsesPerUser, 2, 'the v3 fixture carries a per-user limit')
  t.same(
    asV2.promoCodes,
    freshCodes.map(({ maxUsesPerUser: _m, cancelReturnsUse: _c, ...rest }) => rest),
  )
})

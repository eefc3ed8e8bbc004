// Schemas are code: every version of every schema has an encoded fixture under test/fixtures/avro
// (write missing ones with `node test/fixtures/avro/write-fixtures.ts`), and data flows between versions:
// old writer → current reader always, current writer → old reader where the change is forward compatible.
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { checkCompatibility, currentSchemas, loadSchemaFiles, parseSchema } from '../../avro/index.ts'
import type { SchemaFile } from '../../avro/index.ts'
import { fixturePaths } from '../fixtures/avro/fixture-paths.ts'

function readFixture(file: SchemaFile): { value: unknown; bytes: Buffer } {
  const paths = fixturePaths(file)
  const type = parseSchema(file.schema)
  return { value: type.fromString(readFileSync(paths.json, 'utf8')), bytes: readFileSync(paths.bin) }
}

const current = new Map(currentSchemas().map((file) => [file.fullName, file]))

for (const file of loadSchemaFiles()) {
  t.test(`${file.fullName} v${file.version}`, async (t) => {
    const paths = fixturePaths(file)
    t.ok(
      existsSync(paths.json) && existsSync(paths.bin),
      `fixture ${paths.bin} exists (run write-fixtures.ts)`,
    )
    if (!existsSync(paths.json) || !existsSync(paths.bin)) return
    const { value, bytes } = readFixture(file)
    const type = parseSchema(file.schema)
    t.same(type.toBuffer(value), bytes, 'the schema still encodes the fixture value to the frozen bytes')
    t.same(type.fromBuffer(bytes), value, 'and decodes them back')

    const latest = current.get(file.fullName) as SchemaFile
    if (latest === file) return
    const latestType = parseSchema(latest.schema)
    const compatibility = checkCompatibility(file.schema, latest.schema)
    t.ok(compatibility.backward, `current reader reads v${file.version} data: ${compatibility.reason ?? ''}`)
    if (compatibility.backward) {
      const read = latestType.fromBuffer(bytes, latestType.createResolver(type)) as Record<string, unknown>
      t.ok(latestType.isValid(read), 'old writer → current reader gives a valid current value')
      const written = value as Record<string, unknown>
      // Nested records may have gained defaulted fields since: the reader keeps every field written.
      for (const field of Object.keys(read)) {
        if (field in written) t.has(read[field], written[field], `field ${field} kept`)
      }
    }
    if (compatibility.forward) {
      const newer = readFixture(latest)
      const read = type.fromBuffer(newer.bytes, type.createResolver(latestType)) as Record<string, unknown>
      t.ok(type.isValid(read), `current writer → v${file.version} reader gives a valid old value`)
      const written = newer.value as Record<string, unknown>
      // Nested records may have gained fields since: the old reader sees those it knows, as written.
      for (const field of Object.keys(read)) {
        if (field in written) t.has(written[field], read[field], `field ${field} kept`)
      }
    }
  })
}

t.test('CountTotal v1 data reads as v2 with count = 0, and v2 data reads as v1 without count', async (t) => {
  const [v1, v2] = loadSchemaFiles().filter((file) => file.fullName === 'aquastream.runtime.CountTotal')
  const v1Type = parseSchema((v1 as SchemaFile).schema)
  const v2Type = parseSchema((v2 as SchemaFile).schema)
  const old = readFixture(v1 as SchemaFile)
  t.same(v2Type.fromBuffer(old.bytes, v2Type.createResolver(v1Type)), { ...(old.value as object), count: 0 })
  const fresh = readFixture(v2 as SchemaFile)
  const { count: _count, ...withoutCount } = fresh.value as Record<string, unknown>
  t.same(v1Type.fromBuffer(fresh.bytes, v1Type.createResolver(v2Type)), withoutCount)
})

// EventDomainEvent v1 → v2 (promoCodes, a nullable array with default null): old snapshots read as v2
// with promoCodes null ("the writer did not know"), new snapshots read as v1 without them.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { checkCompatibility, loadSchemaFiles, parseSchema } from '../../avro/index.ts'
import type { SchemaFile } from '../../avro/index.ts'
import { fixturePaths } from '../fixtures/avro/fixture-paths.ts'

const [v1, v2] = loadSchemaFiles().filter((file) => file.fullName === 'aquastream.event.EventDomainEvent')

function fixture(file: SchemaFile): { value: Record<string, unknown>; bytes: Buffer } {
  const paths = fixturePaths(file)
  const type = parseSchema(file.schema)
  return {
    value: type.fromString(readFileSync(paths.json, 'utf8')) as Record<string, unknown>,
    bytes: readFileSync(paths.bin),
  }
}

t.test('v2 follows v1 (v3 is current), compatible with v1 both ways', async (t) => {
  t.same([v1?.version, v1?.current, v2?.version, v2?.current], [1, false, 2, false])
  t.same(checkCompatibility((v1 as SchemaFile).schema, (v2 as SchemaFile).schema), {
    backward: true,
    forward: true,
  })
})

t.test('v1 data reads as v2 with promoCodes null; v2 data reads as v1 without them', async (t) => {
  const v1Type = parseSchema((v1 as SchemaFile).schema)
  const v2Type = parseSchema((v2 as SchemaFile).schema)
  const old = fixture(v1 as SchemaFile)
  t.same(v2Type.fromBuffer(old.bytes, v2Type.createResolver(v1Type)), { ...old.value, promoCodes: null })
  const fresh = fixture(v2 as SchemaFile)
  t.equal((fresh.value.promoCodes as unknown[]).length, 2, 'the v2 fixture carries codes')
  const { promoCodes: _promoCodes, ...withoutCodes } = fresh.value
  t.same(v1Type.fromBuffer(fresh.bytes, v1Type.createResolver(v2Type)), withoutCodes)
})

import t from 'tap'
import type { AvroSchema } from '../../avro/index.ts'
import {
  checkCompatibility,
  checkHistoryCompatibility,
  findSchema,
  historySchemas,
} from '../../avro/index.ts'

const countTotal = findSchema('aquastream.runtime.CountTotal').schema

function withFields(fields: unknown[]): AvroSchema {
  return { type: 'record', name: 'CountTotal', namespace: 'aquastream.runtime', fields } as AvroSchema
}

t.test('every history version is backward compatible with the current schema', async (t) => {
  const results = checkHistoryCompatibility()
  t.equal(results.length, historySchemas().length)
  t.ok(results.length > 0, 'there is history to check')
  for (const result of results) {
    t.ok(result.backward, `${result.previous.path} → ${result.current.path}: ${result.reason ?? 'ok'}`)
  }
})

t.test('CountTotal v1 → v2 (count with default 0) is compatible both ways', async (t) => {
  const [v1] = historySchemas().filter((file) => file.fullName === 'aquastream.runtime.CountTotal')
  t.same(checkCompatibility(v1?.schema as AvroSchema, countTotal), { backward: true, forward: true })
})

t.test('a new required field (no default) is not backward compatible, but is forward', async (t) => {
  const next = withFields([
    { name: 'key', type: 'string' },
    { name: 'total', type: 'long' },
    { name: 'count', type: 'long', default: 0 },
    { name: 'updatedAtMs', type: 'long' },
    { name: 'region', type: 'string' },
  ])
  const result = checkCompatibility(countTotal, next)
  t.equal(result.backward, false)
  t.equal(result.forward, true)
  t.match(result.reason, /region/)
})

t.test('removing a field without a default is not forward compatible, but is backward', async (t) => {
  const next = withFields([
    { name: 'key', type: 'string' },
    { name: 'count', type: 'long', default: 0 },
    { name: 'updatedAtMs', type: 'long' },
  ])
  const result = checkCompatibility(countTotal, next)
  t.equal(result.backward, true)
  t.equal(result.forward, false)
  t.match(result.reason, /total/)
})

t.test('changing a field type incompatibly breaks both directions; promotions only one', async (t) => {
  const stringTotal = withFields([
    { name: 'key', type: 'string' },
    { name: 'total', type: 'string' },
    { name: 'count', type: 'long', default: 0 },
    { name: 'updatedAtMs', type: 'long' },
  ])
  t.match(checkCompatibility(countTotal, stringTotal), { backward: false, forward: false })
  const doubleTotal = withFields([
    { name: 'key', type: 'string' },
    { name: 'total', type: 'double' },
    { name: 'count', type: 'long', default: 0 },
    { name: 'updatedAtMs', type: 'long' },
  ])
  t.match(
    checkCompatibility(countTotal, doubleTotal),
    { backward: true, forward: false },
    'long → double promotes',
  )
})

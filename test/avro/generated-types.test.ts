import { readFileSync } from 'node:fs'
import t from 'tap'
import type { AvroSchema, SchemaFile } from '../../avro/index.ts'
import { currentSchemas, renderTypes } from '../../avro/index.ts'
import { GENERATED_TYPES_PATH } from '../../avro/generated-types-path.ts'

function file(schema: AvroSchema, name = 'Sample'): SchemaFile {
  return {
    area: 'test',
    name,
    fullName: `aquastream.test.${name}`,
    version: 1,
    current: true,
    path: '',
    schema,
  }
}

t.test('avro/generated/types.ts is up to date with avro/schemas (run `npm run avro:gen`)', async (t) => {
  t.equal(readFileSync(GENERATED_TYPES_PATH, 'utf8'), renderTypes(currentSchemas()))
})

t.test('maps every Avro construct to the TypeScript type avsc decodes to', async (t) => {
  const rendered = renderTypes([
    file({
      type: 'record',
      name: 'Sample',
      namespace: 'aquastream.test',
      fields: [
        { name: 'flag', type: 'boolean' },
        { name: 'count', type: 'int' },
        { name: 'big', type: 'long' },
        { name: 'ratio', type: 'double' },
        { name: 'raw', type: 'bytes' },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['OPEN', 'CLOSED'] } },
        { name: 'note', type: ['null', 'string'], default: null },
        { name: 'tags', type: { type: 'array', items: 'string' } },
        { name: 'maybeTags', type: { type: 'array', items: ['null', 'string'] } },
        { name: 'prices', type: { type: 'map', values: 'long' } },
        { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 4 } },
        {
          name: 'child',
          type: ['null', { type: 'record', name: 'Child', fields: [{ name: 'status', type: 'Status' }] }],
        },
      ],
    } as AvroSchema),
  ])
  t.match(rendered, "export type Status = 'OPEN' | 'CLOSED'")
  t.match(rendered, 'export type Hash = Buffer')
  t.match(rendered, 'export interface Child {\n  readonly status: Status\n}')
  for (const line of [
    'readonly flag: boolean',
    'readonly count: number',
    'readonly big: number',
    'readonly ratio: number',
    'readonly raw: Buffer',
    'readonly at: number',
    'readonly status: Status',
    'readonly note: string | null',
    'readonly tags: readonly string[]',
    'readonly maybeTags: readonly (string | null)[]',
    'readonly prices: Readonly<Record<string, number>>',
    'readonly hash: Hash',
    'readonly child: Child | null',
  ]) {
    t.match(rendered, `  ${line}\n`, line)
  }
  t.match(rendered, 'Logical type `timestamp-millis`')
  t.match(rendered, "'aquastream.test.Sample': Sample")
})

t.test('refuses schemas it cannot type faithfully', async (t) => {
  t.throws(
    () =>
      renderTypes([
        file({
          type: 'record',
          name: 'Sample',
          namespace: 'aquastream.test',
          fields: [{ name: 'x', type: ['int', 'long'] }],
        }),
      ]),
    { code: 'SCHEMA_INVALID' },
    'ambiguous union',
  )
  const a = file({ type: 'record', name: 'Same', namespace: 'aquastream.a', fields: [] }, 'Same')
  const b = file({ type: 'record', name: 'Same', namespace: 'aquastream.b', fields: [] }, 'Same')
  t.throws(() => renderTypes([a, b]), { code: 'SCHEMA_INVALID' }, 'two types with one simple name')
})

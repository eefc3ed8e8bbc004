// Route schemas' generated code kept per installation (query-api/schema-code.ts): a validator or serializer
// read back from the folder answers exactly as one compiled now, a changed schema is a new file, and a
// broken or unwritable folder costs nothing but the compile.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import fastJson from 'fast-json-stringify'
import t from 'tap'
import type { Test } from 'tap'
import { SchemaCode } from '../../query-api/schema-code.ts'
import { ajvFlavor, createAjv } from '../../query-api/validation.ts'

const BODY = Type.Object(
  {
    eventId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' }),
    seats: Type.Integer({ minimum: 1, maximum: 10, default: 1 }),
    email: Type.Optional(Type.String({ format: 'email' })),
    at: Type.Optional(Type.String({ format: 'date-time' })),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 5 }), { maxItems: 2 })),
    kind: Type.Optional(Type.Union([Type.Literal('a'), Type.Literal('b')])),
  },
  { additionalProperties: false },
)
const QUERY = Type.Object({
  page: Type.Integer({ minimum: 0, default: 0 }),
  hasSeats: Type.Optional(Type.Boolean()),
})
const INPUTS: unknown[] = [
  { eventId: 'ev-1' },
  { eventId: 'ev-1', seats: 3, email: 'a@b.ru', at: '2026-12-06T08:00:00Z', tags: ['x'], kind: 'a' },
  { eventId: 'EV 1', seats: 0, email: 'nope', at: 'yesterday', tags: ['toolong', 'a', 'b'], kind: 'c' },
  { eventId: 'ev-1', extra: true },
  { seats: '3' },
  null,
  'text',
]
const TEXT_INPUTS: unknown[] = [
  {},
  { page: '2', hasSeats: 'true' },
  { page: '-1' },
  { page: 'x', hasSeats: 'maybe' },
]

const folder = (t: Test): string => {
  const dir = mkdtempSync(join(tmpdir(), 'schema-code-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** What a validator answers for each input: validity, the input after defaults and coercion, the errors. */
function answers(validate: (data: unknown) => boolean, errors: () => unknown, inputs: readonly unknown[]) {
  return inputs.map((input) => {
    const data = structuredClone(input)
    const valid = validate(data)
    return { valid, data, errors: valid ? null : errors() }
  })
}

t.test('a validator read back from the folder answers as one compiled by Ajv', (t) => {
  const dir = folder(t)
  for (const [coerce, schema, inputs] of [
    [false, BODY, INPUTS],
    [true, QUERY, TEXT_INPUTS],
  ] as const) {
    const reference = createAjv(coerce).compile(schema)
    const expected = answers(reference, () => reference.errors, inputs)
    t.ok(expected.some((a) => !a.valid) && expected.some((a) => a.valid), 'the inputs pass and fail')
    const generated = new SchemaCode({ dir }).validator(createAjv(coerce), ajvFlavor(coerce), schema)
    t.same(
      answers(generated, () => generated.errors, inputs),
      expected,
      `generated now (coerce ${coerce})`,
    )
    const read = new SchemaCode({ dir }).validator(createAjv(coerce), ajvFlavor(coerce), schema)
    t.same(
      answers(read, () => read.errors, inputs),
      expected,
      `read back (coerce ${coerce})`,
    )
  }
  t.equal(readdirSync(dir).length, 2, 'one file per schema and flavor')
  t.end()
})

t.test('a serializer read back from the folder writes what fast-json-stringify writes', (t) => {
  const dir = folder(t)
  const schema = Type.Object({
    id: Type.String(),
    seats: Type.Integer(),
    price: Type.Union([Type.Integer(), Type.Null()]),
    when: Type.String({ format: 'date-time' }),
    reason: Type.Union([Type.Object({ code: Type.String() }), Type.String()]),
    items: Type.Array(Type.Object({ n: Type.Number() })),
  })
  const reference = fastJson(schema)
  const values = [
    {
      id: 'b-1',
      seats: 2,
      price: 1500,
      when: new Date('2026-12-06T08:00:00Z'),
      reason: { code: 'X' },
      items: [],
    },
    {
      id: 'b-2',
      seats: 1,
      price: null,
      when: '2026-12-06',
      reason: 'plain',
      items: [{ n: 1.5 }],
      extra: 'dropped',
    },
  ]
  const generated = new SchemaCode({ dir }).serializer(schema)
  const read = new SchemaCode({ dir }).serializer(schema)
  for (const value of values) {
    t.equal(generated(value), reference(value))
    t.equal(read(value), reference(value))
  }
  t.equal(readdirSync(dir).length, 1)
  t.end()
})

t.test('a changed schema is a new file; the same schema in another flavor is too', (t) => {
  const dir = folder(t)
  const code = new SchemaCode({ dir })
  code.validator(createAjv(false), ajvFlavor(false), QUERY)
  code.validator(createAjv(true), ajvFlavor(true), QUERY)
  const changed = Type.Object({ page: Type.Integer({ minimum: 1, default: 1 }) })
  const validate = code.validator(createAjv(true), ajvFlavor(true), changed)
  t.equal(readdirSync(dir).length, 3)
  t.notOk(validate({ page: '0' }), 'the changed minimum holds')
  t.end()
})

t.test('a broken file is compiled again and replaced', (t) => {
  const dir = folder(t)
  new SchemaCode({ dir }).validator(createAjv(false), ajvFlavor(false), BODY)
  const [file] = readdirSync(dir)
  writeFileSync(join(dir, file!), 'module.exports = function (')
  const validate = new SchemaCode({ dir }).validator(createAjv(false), ajvFlavor(false), BODY)
  t.ok(validate({ eventId: 'ev-1' }))
  t.notOk(validate({ eventId: 'ev-1', extra: 1 }))
  const again = new SchemaCode({ dir }).validator(createAjv(false), ajvFlavor(false), BODY)
  t.ok(again({ eventId: 'ev-1' }), 'the replaced file loads')
  t.end()
})

t.test('without a folder, or with one that cannot be written, schemas compile in memory', (t) => {
  const parent = folder(t)
  const notADir = join(parent, 'file')
  writeFileSync(notADir, '')
  for (const dir of [undefined, join(notADir, 'route-schemas')]) {
    const code = new SchemaCode({ dir })
    const validate = code.validator(createAjv(true), ajvFlavor(true), QUERY)
    const data: Record<string, unknown> = { page: '3' }
    t.ok(validate(data))
    t.same(data, { page: 3 })
    t.equal(code.serializer(QUERY)({ page: 1, hasSeats: true }), '{"page":1,"hasSeats":true}')
  }
  t.same(readdirSync(parent), ['file'])
  t.end()
})

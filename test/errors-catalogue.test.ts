/**
 * The one error catalogue (processors/error-catalogue.ts) against the code and the document: every code
 * the production code raises, refuses with or records is in it; every entry is used; the error classes
 * take their status and `retriable` from it; docs/errors.md is its rendering.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { SchemaError } from '../avro/index.ts'
import { renderErrorsDoc } from '../infra/docs.ts'
import {
  ERROR_CATALOGUE,
  ERROR_SECTIONS,
  REASON_CODES,
  ServiceError,
  type ErrorCode,
} from '../processors/index.ts'
import { ApiError, httpStatusOf, toErrorBody } from '../query-api/errors.ts'
import { RUNTIME_ERROR_CODES, RuntimeError, type RuntimeErrorCode } from '../streams/index.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PRODUCTION = [
  'streams',
  'avro',
  'processors',
  'topologies',
  'read-models',
  'query-api',
  'infra',
  'examples',
]
/** The files that define the tables (their keys are the codes, not uses of them). */
const TABLES = [
  join('streams', 'error-codes.ts'),
  join('avro', 'schema-errors.ts'),
  join('processors', 'reason-codes.ts'),
  join('processors', 'error-catalogue.ts'),
]

interface SourceFile {
  readonly path: string
  readonly text: string
}

function tsFiles(dir: string): SourceFile[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return path === join('avro', 'generated') ? [] : tsFiles(path)
    return entry.name.endsWith('.ts') ? [{ path, text: readFileSync(join(ROOT, path), 'utf8') }] : []
  })
}

const files = PRODUCTION.flatMap(tsFiles)
const lineOf = (file: SourceFile, index: number): string =>
  `${file.path}:${file.text.slice(0, index).split('\n').length}`
const CODE = `'([A-Z][A-Z0-9_]{2,})'`

/** Where a code is raised, refused with or recorded: the places a typo would not be caught by types. */
const USES = [
  new RegExp(`\\bnew \\w*Error\\(\\s*${CODE}`, 'g'), // new XError('CODE', …)
  new RegExp(`\\bsuper\\(\\s*${CODE}`, 'g'), // a subclass with a fixed code
  new RegExp(`\\b(?:refuse|refusal|refusalError)\\(\\s*${CODE}`, 'g'),
  new RegExp(`\\breasonCode(?:\\?\\.)?\\s*(?::|===|!==|\\?\\?)\\s*${CODE}`, 'g'),
  new RegExp(`\\b\\w*(?:error|Error|err)\\??\\.code\\s*(?:===|!==)\\s*${CODE}`, 'g'), // a check of an error's code
]

function uses(): { code: string; where: string }[] {
  const found: { code: string; where: string }[] = []
  for (const file of files) {
    if (TABLES.includes(file.path)) continue
    for (const pattern of USES)
      for (const m of file.text.matchAll(pattern)) found.push({ code: m[1]!, where: lineOf(file, m.index) })
  }
  return found
}

const used = uses()

t.test('every code the production code uses is in the catalogue', async (t) => {
  t.ok(used.length > 100, `the scan finds the uses (${used.length})`)
  const unknown = used.filter((u) => !Object.hasOwn(ERROR_CATALOGUE, u.code))
  t.same(
    unknown.map((u) => `${u.code} (${u.where})`),
    [],
    'add these to processors/error-catalogue.ts (or a table it includes)',
  )
})

t.test('every catalogued code is used somewhere', async (t) => {
  const literals = new Set(
    files
      .filter((f) => !TABLES.includes(f.path))
      .flatMap((f) => [...f.text.matchAll(new RegExp(CODE, 'g'))].map((m) => m[1]!)),
  )
  // Declared through typed unions and constructors, which a literal appears in.
  const unused = Object.keys(ERROR_CATALOGUE).filter((code) => !literals.has(code))
  t.same(unused, [], 'remove these from the catalogue or use them again')
})

t.test(
  'outside the error classes, codes are raised through a catalogue class, never a bare CodedError',
  async (t) => {
    const bare = files
      .filter((f) => f.path !== join('streams', 'errors.ts') && f.path !== join('query-api', 'errors.ts'))
      .flatMap((f) => [...f.text.matchAll(/\bnew CodedError\(/g)].map((m) => lineOf(f, m.index)))
    t.same(
      bare,
      [],
      'use ServiceError, RuntimeError or SchemaError: they take status and retriable from the table',
    )
  },
)

t.test('a code is defined in one section only, with a meaning', async (t) => {
  const seen = new Map<string, string>()
  for (const [section, table] of Object.entries(ERROR_SECTIONS))
    for (const [code, spec] of Object.entries(table)) {
      t.notOk(seen.has(code), `${code} defined once (${seen.get(code) ?? section}, ${section})`)
      seen.set(code, section)
      t.ok(spec.meaning.length > 10, `${code} has a meaning`)
    }
  t.equal(seen.size, Object.keys(ERROR_CATALOGUE).length)
})

t.test('the error classes take their status and retriable from the catalogue', async (t) => {
  for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
    const error = new ServiceError(code as ErrorCode, 'message')
    t.equal(error.retriable, spec.retriable, `${code} retriable`)
    t.equal(error.httpStatus, spec.httpStatus ?? 500, `${code} status`)
    t.equal(httpStatusOf(code), spec.httpStatus ?? 422, `${code} answers with its status`)
  }
  for (const code of Object.keys(RUNTIME_ERROR_CODES) as RuntimeErrorCode[])
    t.equal(new RuntimeError(code, 'm').retriable, RUNTIME_ERROR_CODES[code].retriable, code)
  t.equal(new SchemaError('SCHEMA_REGISTRY_FAILED', 'm').retriable, true)
  t.equal(new SchemaError('SCHEMA_INVALID', 'm').retriable, false)
  t.equal(new ApiError('RATE_LIMITED', 'm').httpStatus, 429)
})

t.test('MISSION.md: 409 NO_AVAILABLE_SEATS, 422 INVALID_BOOKING_STATE, and the named refusals', async (t) => {
  t.equal(REASON_CODES.NO_AVAILABLE_SEATS.httpStatus, 409)
  t.equal(REASON_CODES.INVALID_BOOKING_STATE.httpStatus, 422)
  for (const code of ['DUPLICATE_BOOKING', 'EVENT_NOT_BOOKABLE', 'PROMO_EXHAUSTED', 'VERSION_CONFLICT'])
    t.ok(Object.hasOwn(REASON_CODES, code), code)
  const { status, body } = toErrorBody(new ApiError('NO_AVAILABLE_SEATS', 'sold out'), 'trace-1')
  t.equal(status, 409)
  t.same(body, { code: 'NO_AVAILABLE_SEATS', message: 'sold out', details: {}, traceId: 'trace-1' })
})

t.test('docs/errors.md is the catalogue, rendered', async (t) => {
  const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8')
  t.equal(doc, renderErrorsDoc(doc), 'run `node infra/docs.ts` after changing the catalogue')
  for (const code of Object.keys(ERROR_CATALOGUE)) t.match(doc, `| \`${code}\` |`, `${code} is documented`)
})

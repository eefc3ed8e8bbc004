/**
 * Keeps the "Runtime and schema errors" section of docs/errors.md in step with the code: scans the
 * TypeScript of streams/, avro/ and infra/ for every error code raised on purpose (CodedError and its
 * subclasses), and checks that each is documented, that each documented code is still raised, and that the
 * documented "Retriable" column is what the errors really say.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import t from 'tap'
import type { CodedError } from '../streams/index.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SCANNED = ['streams', 'avro', 'infra']
const CODE = "'([A-Z][A-Z0-9_]*)'"

interface SourceFile {
  readonly path: string
  readonly text: string
}

function tsFiles(dir: string): SourceFile[] {
  const out: SourceFile[] = []
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (path !== join('avro', 'generated')) out.push(...tsFiles(path))
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
      out.push({ path, text: readFileSync(join(ROOT, path), 'utf8') })
  }
  return out
}

const files = SCANNED.flatMap(tsFiles)

const lineOf = (file: SourceFile, index: number): string =>
  `${file.path}:${file.text.slice(0, index).split('\n').length}`

/** Index just past the string literal starting at `start`; skips `${…}` inside template literals. */
function skipString(text: string, start: number): number {
  const quote = text[start]
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]
    if (c === '\\') i++
    else if (quote === '`' && c === '$' && text[i + 1] === '{') {
      let depth = 0
      for (i++; i < text.length; i++) {
        const d = text[i]
        if (d === "'" || d === '"' || d === '`') i = skipString(text, i) - 1
        else if (d === '{') depth++
        else if (d === '}' && --depth === 0) break
      }
    } else if (c === quote) return i + 1
  }
  return text.length
}

/** The argument text of the call whose `(` is at `open`. */
function callArguments(text: string, open: number): string {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    const c = text[i]
    if (c === "'" || c === '"' || c === '`') i = skipString(text, i) - 1
    else if (c === '(') depth++
    else if (c === ')' && --depth === 0) return text.slice(open + 1, i)
  }
  throw new Error(`unbalanced call at ${open}`)
}

/** CodedError and every class extending it (transitively), with the file declaring it. */
function codedClasses(): Map<string, SourceFile> {
  const classes = new Map<string, SourceFile>()
  const declarations = files.flatMap((file) =>
    [...file.text.matchAll(/\bclass (\w+) extends (\w+)/g)].map(([, name, parent]) => ({
      name: name!,
      parent: parent!,
      file,
    })),
  )
  const base = declarations.find((d) => d.parent === 'Error' && d.name === 'CodedError')
  if (base === undefined) throw new Error('class CodedError not found')
  classes.set('CodedError', base.file)
  for (let grew = true; grew;) {
    grew = false
    for (const d of declarations)
      if (classes.has(d.parent) && !classes.has(d.name)) {
        classes.set(d.name, d.file)
        grew = true
      }
  }
  return classes
}

/** Whether the class's constructor takes the code as its first parameter. */
function takesCode(name: string, file: SourceFile): boolean {
  const body = file.text.slice(file.text.indexOf(`class ${name} `))
  return /^\s*constructor\(\s*code\b/m.test(body.slice(0, body.search(/\n}/)))
}

interface Found {
  readonly code: string
  readonly where: string
  /** The class constructed (or whose constructor declares the code), when known. */
  readonly via?: string
  /** What a direct `new CodedError` says (default false). */
  readonly retriable?: boolean
}

/** The class whose declaration encloses `index` (the last one declared before it). */
function enclosingClass(file: SourceFile, index: number): string | undefined {
  const before = [...file.text.slice(0, index).matchAll(/\bclass (\w+)/g)]
  return before.at(-1)?.[1]
}

function scanCodes(): { found: Found[]; problems: string[] } {
  const classes = codedClasses()
  const found: Found[] = []
  const problems: string[] = []
  for (const file of files) {
    // new CodedError('X', …) and new Subclass('X', …) for subclasses taking the code.
    for (const [name, declared] of classes) {
      if (!takesCode(name, declared)) continue
      for (const m of file.text.matchAll(new RegExp(`\\bnew ${name}\\(`, 'g'))) {
        const args = callArguments(file.text, m.index + m[0].length - 1)
        const literal = new RegExp(`^\\s*${CODE}`).exec(args)
        if (literal === null) {
          problems.push(
            `${lineOf(file, m.index)}: new ${name}(…) without a literal code cannot be catalogued`,
          )
          continue
        }
        const retriable = /\bretriable:\s*(true|false)\b/.exec(args)?.[1]
        found.push({
          code: literal[1]!,
          where: lineOf(file, m.index),
          via: name,
          ...(name === 'CodedError' ? { retriable: retriable === 'true' } : {}),
        })
      }
    }
    // super('X', …) in subclasses with a fixed code.
    for (const m of file.text.matchAll(new RegExp(`\\bsuper\\(\\s*${CODE}`, 'g')))
      found.push({ code: m[1]!, where: lineOf(file, m.index), via: enclosingClass(file, m.index) })
    // Codes declared as string-literal unions: `code: 'A' | 'B'` (a constructor parameter) and `type XCode = | 'A'`.
    for (const m of file.text.matchAll(
      new RegExp(`(\\bcode:|\\btype \\w*Code =)\\s*((?:\\|?\\s*${CODE}\\s*)+)`, 'g'),
    )) {
      const via = m[1] === 'code:' ? enclosingClass(file, m.index) : undefined
      for (const c of m[2]!.matchAll(new RegExp(CODE, 'g')))
        found.push({ code: c[1]!, where: lineOf(file, m.index), ...(via === undefined ? {} : { via }) })
    }
  }
  // The code given to dead letters of foreign errors.
  const handlers = files.find((f) => f.path === join('streams', 'exception-handlers.ts'))
  const errorCode = /export function errorCode\([\s\S]*?\n}/.exec(handlers?.text ?? '')
  if (errorCode === null) problems.push('function errorCode not found in streams/exception-handlers.ts')
  else
    for (const c of errorCode[0].matchAll(new RegExp(CODE, 'g')))
      found.push({ code: c[1]!, where: 'errorCode in streams/exception-handlers.ts' })
  return { found, problems }
}

interface Documented {
  readonly code: string
  readonly retriable: string
  readonly meaning: string
  readonly surfaces: string
}

function documentedCodes(): Documented[] {
  const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8')
  const start = doc.indexOf('\n## Runtime and schema errors\n')
  if (start < 0) throw new Error('docs/errors.md has no "## Runtime and schema errors" section')
  const rest = doc.slice(start + 1)
  const next = rest.indexOf('\n## ', 1)
  const section = next < 0 ? rest : rest.slice(0, next)
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` +\| (\S+) +\| (.*?) +\| (.*?) +\|$/gm)].map(
    ([, code, retriable, meaning, surfaces]) => ({
      code: code!,
      retriable: retriable!,
      meaning: meaning!,
      surfaces: surfaces!,
    }),
  )
}

const { found, problems } = scanCodes()
const documented = documentedCodes()
const foundCodes = new Set(found.map((f) => f.code))

t.test('the scan sees every construction and finds the known codes', async (t) => {
  t.same(problems, [], 'every coded error is built with a literal code')
  for (const code of [
    'WRONG_MAGIC_BYTE',
    'UNKNOWN_SCHEMA_ID',
    'UNDECODABLE_BODY',
    'DESERIALIZATION_FAILED',
    'SERIALIZATION_FAILED',
    'INVALID_TOPOLOGY',
    'TASK_MIGRATED',
    'STREAMS_FATAL',
    'RECORD_TOO_LARGE',
    'DATA_DIR_LOCKED',
    'UNKNOWN_TOPIC',
    'UNKNOWN_PARTITION',
    'TOPIC_PARTITIONS_MISMATCH',
    'LOG_CLOSED',
    'UNDECLARED_TOPIC',
    'INVALID_CONFIG',
    'SCHEMA_NOT_FOUND',
    'SCHEMA_ID_COLLISION',
    'SCHEMA_INCOMPATIBLE',
    'SCHEMA_REGISTRY_FAILED',
    'SCHEMA_INVALID',
  ])
    t.ok(foundCodes.has(code), `${code} is found in the source`)
})

t.test('every code raised in streams/, avro/ and infra/ is documented', async (t) => {
  const documentedSet = new Set(documented.map((d) => d.code))
  const missing = [...foundCodes].filter((c) => !documentedSet.has(c))
  t.same(
    missing.map((c) => `${c} (${found.find((f) => f.code === c)!.where})`),
    [],
    'add these to "Runtime and schema errors" in docs/errors.md',
  )
})

t.test('every documented runtime code is still raised, once, with a meaning and a place', async (t) => {
  t.ok(documented.length >= 20, `the table parses (${documented.length} rows)`)
  t.same(
    documented.map((d) => d.code).filter((c) => !foundCodes.has(c)),
    [],
    'remove these from docs/errors.md or raise them again',
  )
  const seen = new Set<string>()
  for (const d of documented) {
    t.notOk(seen.has(d.code), `${d.code} is listed once`)
    seen.add(d.code)
    t.ok(d.meaning.length > 10, `${d.code} has a meaning`)
    t.ok(d.surfaces.length > 5, `${d.code} says where it surfaces`)
    t.match(d.retriable, /^(yes|no)$/, `${d.code}: retriable is yes or no`)
  }
})

t.test('the documented Retriable column is what the errors say', async (t) => {
  const actual = new Map<string, Set<boolean>>()
  const note = (code: string, retriable: boolean): void => {
    const set = actual.get(code) ?? new Set<boolean>()
    set.add(retriable)
    actual.set(code, set)
  }
  // Direct constructions state it (default false).
  for (const f of found) if (f.retriable !== undefined) note(f.code, f.retriable)
  // Subclasses decide it: build one with each code the scan attributes to the class.
  const classes = codedClasses()
  for (const f of found) {
    if (f.via === undefined || f.via === 'CodedError') continue
    const file = classes.get(f.via)
    if (file === undefined) continue // a code: parameter of a class that is not a CodedError
    const module = (await import(pathToFileURL(join(ROOT, file.path)).href)) as {
      [name: string]: (new (...args: unknown[]) => CodedError) | undefined
    }
    const Class = module[f.via]
    if (Class === undefined) {
      t.fail(`${f.via} is not exported from ${file.path}`)
      continue
    }
    const error = takesCode(f.via, file) ? new Class(f.code, 'message') : new Class('message')
    t.equal(error.code, f.code, `${f.via} raises ${f.code} (${f.where})`)
    note(f.code, error.retriable)
  }
  for (const d of documented) {
    const values = actual.get(d.code)
    if (values === undefined) continue
    t.same([...values], [d.retriable === 'yes'], `${d.code} is documented as retriable: ${d.retriable}`)
  }
  t.same(
    ['TASK_MIGRATED', 'SCHEMA_REGISTRY_FAILED', 'INVALID_CONFIG', 'WRONG_MAGIC_BYTE'].map((c) => [
      ...(actual.get(c) ?? []),
    ]),
    [[true], [true], [false], [false]],
    'the retriable flags are computed',
  )
})

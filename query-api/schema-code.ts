/**
 * Route schemas compiled once per installation, not once per start. Compiling every route's validators
 * (Ajv) and response serializers (fast-json-stringify) is a quarter of a second of the main thread at each
 * start (bench/RESULTS.md), spent generating the same code every time. Both libraries can emit what they
 * generate as a CommonJS module ("standalone" code, the mode Fastify's own `@fastify/ajv-compiler/standalone`
 * and `@fastify/fast-json-stringify-compiler/standalone` build on); here each module is written to
 * `node_modules/.cache/backend-event/route-schemas/<sha-256>.cjs` the first time and read after. A schema
 * compiled now and one read from the folder run the same code: both are evaluated from the module text.
 *
 * The file name is the SHA-256 of everything the code depends on: the schema, the compiler's options and
 * the versions of ajv, ajv-formats and fast-json-stringify; a changed schema or library is a new file,
 * never a stale one. Files are written under a temporary name and renamed (processes starting together
 * never read half of one); a file that does not load is compiled again and replaced. Where the folder is
 * not writable everything compiles in memory as before.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Ajv, ValidateFunction } from 'ajv'

const require = createRequire(import.meta.url)

/** `name`'s version: from the first package.json above its entry point that names it (its own). */
function packageVersion(name: string): string {
  let dir = dirname(require.resolve(name))
  for (;;) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string
        version?: string
      }
      if (json.name === name) return json.version ?? '?'
    } catch {
      // not this folder
    }
    const up = dirname(dir)
    if (up === dir) return '?'
    dir = up
  }
}

let versions: string | undefined
const libraryVersions = (): string =>
  (versions ??= ['ajv', 'ajv-formats', 'fast-json-stringify']
    .map((n) => `${n}@${packageVersion(n)}`)
    .join(' '))

/** The default folder: beside the PGlite cluster template, in the installation's node_modules. */
export const DEFAULT_SCHEMA_CODE_DIR = join(
  dirname(require.resolve('fast-json-stringify')),
  '../.cache/backend-event/route-schemas',
)

export interface SchemaCodeOptions {
  /** Where the modules are kept; `undefined` keeps none (every schema compiles in memory). */
  readonly dir: string | undefined
}

export class SchemaCode {
  readonly #dir: string | undefined
  #writable = true

  constructor(options: SchemaCodeOptions = { dir: DEFAULT_SCHEMA_CODE_DIR }) {
    this.#dir = options.dir
  }

  /**
   * The validator of `schema` compiled by `ajv`, whose options `flavor` names (they are part of the key).
   * `ajv` must keep its generated source (`code: { source: true }`).
   */
  validator(ajv: Ajv, flavor: string, schema: object): ValidateFunction {
    return this.#module(`validator ${flavor}`, schema, () => standaloneCode(ajv, ajv.compile(schema)))
  }

  /** The fast-json-stringify serializer of `schema` (options as Fastify's default serializer compiler). */
  serializer(schema: object): (data: unknown) => string {
    return this.#module('serializer', schema, () =>
      String(fastJson()(schema, { mode: 'standalone', inlineValidators: true })),
    )
  }

  #module<T>(kind: string, schema: object, generate: () => string): T {
    const file =
      this.#dir === undefined
        ? undefined
        : join(
            this.#dir,
            `${createHash('sha256')
              .update(`${kind}\n${libraryVersions()}\n${JSON.stringify(schema)}`)
              .digest('hex')}.cjs`,
          )
    if (file !== undefined) {
      let code: string | undefined
      try {
        code = readFileSync(file, 'utf8')
      } catch {
        // not made yet: generated below
      }
      if (code !== undefined)
        try {
          return load<T>(code)
        } catch {
          // A broken file (cut short, edited): generated again below, and replaced.
        }
    }
    const code = generate()
    if (file !== undefined && this.#writable) this.#store(file, code)
    return load<T>(code)
  }

  #store(file: string, code: string): void {
    try {
      mkdirSync(dirname(file), { recursive: true })
      const tmp = `${file}.${process.pid}.tmp`
      writeFileSync(tmp, code)
      renameSync(tmp, file)
    } catch {
      // A read-only installation: compile in memory from now on.
      this.#writable = false
    }
  }
}

/** What a standalone module exports, evaluated as CommonJS with this module's `require` (its libraries). */
function load<T>(code: string): T {
  const module = { exports: {} as T }
  // Code the two compilers generated, from their own output or this installation's folder.
  new Function('module', 'exports', 'require', code)(module, module.exports, require)
  return module.exports
}

type StandaloneCode = (ajv: Ajv, validate: ValidateFunction) => string
let standalone: StandaloneCode | undefined
/** ajv's standalone code generator, loaded when a schema is first compiled (never on a start from the cache). */
const standaloneCode: StandaloneCode = (ajv, validate) =>
  (standalone ??= (require('ajv/dist/standalone') as { default: StandaloneCode }).default)(ajv, validate)

type FastJson = (schema: object, options: object) => unknown
let fjs: FastJson | undefined
const fastJson = (): FastJson => (fjs ??= require('fast-json-stringify') as FastJson)

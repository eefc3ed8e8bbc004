import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AvroSchema } from './parse-schema.ts'
import { parseSchema } from './parse-schema.ts'
import { SchemaError } from './schema-errors.ts'

/** The `avro/` folder: `schemas/<area>/<Name>.avsc` (current) and `history/<area>/<Name>.v<N>.avsc`. */
export const AVRO_ROOT: string = fileURLToPath(new URL('.', import.meta.url))

/** One `.avsc` file of the catalogue. */
export interface SchemaFile {
  /** The folder under `schemas/` or `history/`, and the last part of the namespace (`runtime`). */
  readonly area: string
  /** The record name, also the file name (`CountTotal`). */
  readonly name: string
  /** `aquastream.<area>.<name>`. */
  readonly fullName: string
  /** 1 for the first version; the current version is one more than the newest history version. */
  readonly version: number
  /** True for the file under `schemas/`, false for a history file. */
  readonly current: boolean
  /** Absolute path of the file. */
  readonly path: string
  /** The parsed JSON. */
  readonly schema: AvroSchema
}

const HISTORY_FILE = /^([A-Za-z_][A-Za-z0-9_]*)\.v([1-9][0-9]*)\.avsc$/
const CURRENT_FILE = /^([A-Za-z_][A-Za-z0-9_]*)\.avsc$/
const catalogues = new Map<string, readonly SchemaFile[]>()

/**
 * Every schema file under `root` (default: this folder), current and history, sorted by area, name and
 * version, read once per root and cached. Checks the layout rules: the file name is the record name, the
 * namespace is `aquastream.<area>`, each history version has a current schema and is older than it.
 *
 * @throws {SchemaError} `SCHEMA_INVALID` for a file that breaks a layout rule or is not valid Avro.
 */
export function loadSchemaFiles(root: string = AVRO_ROOT): readonly SchemaFile[] {
  const cached = catalogues.get(root)
  if (cached !== undefined) return cached
  const history = readArea(root, 'history', HISTORY_FILE)
  const newestHistory = new Map<string, number>()
  for (const file of history) {
    newestHistory.set(file.fullName, Math.max(file.version, newestHistory.get(file.fullName) ?? 0))
  }
  const current = readArea(root, 'schemas', CURRENT_FILE).map((file) => ({
    ...file,
    version: (newestHistory.get(file.fullName) ?? 0) + 1,
  }))
  const currentNames = new Set(current.map((file) => file.fullName))
  for (const file of history) {
    if (!currentNames.has(file.fullName)) {
      throw new SchemaError('SCHEMA_INVALID', `history file ${file.path} has no current schema`, {
        details: { path: file.path },
      })
    }
  }
  const all = [...current, ...history].sort(
    (a, b) => compareText(a.fullName, b.fullName) || a.version - b.version,
  )
  catalogues.set(root, all)
  return all
}

/** The current version of every schema. */
export function currentSchemas(root: string = AVRO_ROOT): readonly SchemaFile[] {
  return loadSchemaFiles(root).filter((file) => file.current)
}

/** Every older version kept under `history/`. */
export function historySchemas(root: string = AVRO_ROOT): readonly SchemaFile[] {
  return loadSchemaFiles(root).filter((file) => !file.current)
}

/**
 * The current schema with this full name (`aquastream.runtime.CountInput`).
 *
 * @throws {SchemaError} `SCHEMA_NOT_FOUND` when no current `.avsc` has that name.
 */
export function findSchema(fullName: string, root: string = AVRO_ROOT): SchemaFile {
  const file = currentSchemas(root).find((candidate) => candidate.fullName === fullName)
  if (file === undefined) {
    throw new SchemaError('SCHEMA_NOT_FOUND', `no schema named ${fullName} under ${join(root, 'schemas')}`, {
      details: { fullName },
    })
  }
  return file
}

function readArea(root: string, folder: 'schemas' | 'history', pattern: RegExp): SchemaFile[] {
  const files: SchemaFile[] = []
  for (const area of listDirectory(join(root, folder))) {
    if (!area.isDirectory()) continue
    for (const entry of listDirectory(join(root, folder, area.name))) {
      if (!entry.isFile() || !entry.name.endsWith('.avsc')) continue
      const path = join(root, folder, area.name, entry.name)
      const match = pattern.exec(entry.name)
      if (match === null) throw layoutError(path, `file name must look like ${pattern.source}`)
      const name = match[1] as string
      const schema = readSchema(path)
      const type = parseSchema(schema)
      const fullName = `aquastream.${area.name}.${name}`
      if (type.name !== fullName)
        throw layoutError(path, `declares ${type.name ?? 'no name'}, expected ${fullName}`)
      files.push({
        area: area.name,
        name,
        fullName,
        version: match[2] === undefined ? 0 : Number(match[2]),
        current: folder === 'schemas',
        path,
        schema,
      })
    }
  }
  return files
}

function readSchema(path: string): AvroSchema {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AvroSchema
  } catch (cause) {
    throw new SchemaError('SCHEMA_INVALID', `cannot read ${path}: ${(cause as Error).message}`, {
      details: { path },
      cause,
    })
  }
}

function listDirectory(path: string) {
  try {
    return readdirSync(path, { withFileTypes: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

function layoutError(path: string, why: string): SchemaError {
  return new SchemaError('SCHEMA_INVALID', `${path}: ${why}`, { details: { path } })
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

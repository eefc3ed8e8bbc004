import type { Type } from 'avsc'
import { checkCompatibility } from './compatibility.ts'
import type { AvroSchema } from './parse-schema.ts'
import { parseSchema } from './parse-schema.ts'
import { AVRO_ROOT, loadSchemaFiles } from './schema-catalogue.ts'
import { SchemaError } from './schema-errors.ts'
import { schemaIdOfCanonicalForm } from './schema-id.ts'
import type { SchemaRegistry } from './schema-registry.ts'

/** Options of {@link LocalSchemaRegistry}. */
export interface LocalSchemaRegistryOptions {
  /**
   * The `avro/` folder whose current and history schemas are known from the start, so data written
   * by any version stays readable; `false` starts empty. Default: this package's `avro/` folder.
   */
  readonly preload?: string | false
  /** Rule applied when a subject gets a new version: `BACKWARD` (default, as the real registry) or `NONE`. */
  readonly compatibility?: 'BACKWARD' | 'NONE'
  /** Canonical form → ID; default {@link schemaIdOfCanonicalForm}. Tests inject a colliding one. */
  readonly schemaId?: (canonicalForm: string) => number
}

/**
 * A schema registry without a server, for the embedded mode and the TestDriver. IDs are derived from
 * the schema itself ({@link localSchemaId}), so they are the same in every process and on every machine,
 * and data written before a restart decodes after it. Subjects and their versions live in memory only.
 *
 * @throws {SchemaError} `SCHEMA_ID_COLLISION` (from the constructor or `register`) when two different
 *   schemas get the same ID; `SCHEMA_INCOMPATIBLE` from `register` when the rule refuses a new version.
 */
export class LocalSchemaRegistry implements SchemaRegistry {
  readonly #byId = new Map<number, { readonly canonical: string; readonly type: Type }>()
  readonly #subjects = new Map<string, Type[]>()
  readonly #compatibility: 'BACKWARD' | 'NONE'
  readonly #schemaId: (canonicalForm: string) => number

  constructor(options: LocalSchemaRegistryOptions = {}) {
    this.#compatibility = options.compatibility ?? 'BACKWARD'
    this.#schemaId = options.schemaId ?? schemaIdOfCanonicalForm
    const preload = options.preload ?? AVRO_ROOT
    if (preload !== false) {
      for (const file of loadSchemaFiles(preload)) this.add(file.schema)
    }
  }

  /** Make a schema known (readable by ID) without registering it under a subject; returns its ID. */
  add(schema: AvroSchema | Type): number {
    const type = parseSchema(schema)
    const canonical = JSON.stringify(type.schema())
    const id = this.#schemaId(canonical)
    const known = this.#byId.get(id)
    if (known === undefined) {
      this.#byId.set(id, { canonical, type })
    } else if (known.canonical !== canonical) {
      throw new SchemaError('SCHEMA_ID_COLLISION', `schema ID ${id} is shared by two different schemas`, {
        details: { id, existing: known.canonical, added: canonical },
      })
    }
    return id
  }

  /** {@link register}, synchronously. */
  registerSync(subject: string, schema: AvroSchema | Type): number {
    const type = parseSchema(schema)
    const versions = this.#subjects.get(subject) ?? []
    const latest = versions.at(-1)
    if (latest !== undefined && this.#compatibility === 'BACKWARD' && !latest.equals(type)) {
      const compatibility = checkCompatibility(latest, type)
      if (!compatibility.backward) {
        throw new SchemaError('SCHEMA_INCOMPATIBLE', `schema is not backward compatible with ${subject}`, {
          details: { subject, reason: compatibility.reason },
        })
      }
    }
    const id = this.add(type)
    if (!versions.some((version) => version.equals(type))) versions.push(type)
    this.#subjects.set(subject, versions)
    return id
  }

  register(subject: string, schema: AvroSchema): Promise<number> {
    try {
      return Promise.resolve(this.registerSync(subject, schema))
    } catch (error) {
      return Promise.reject(error as Error)
    }
  }

  lookup(id: number): Type | undefined {
    return this.#byId.get(id)?.type
  }

  fetch(id: number): Promise<Type> {
    const type = this.lookup(id)
    if (type !== undefined) return Promise.resolve(type)
    return Promise.reject(
      new SchemaError('SCHEMA_NOT_FOUND', `schema ID ${id} is not in the local registry`, {
        details: { id },
      }),
    )
  }
}

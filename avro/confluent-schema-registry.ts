import type { COMPATIBILITY, SchemaRegistry as ConfluentClient } from '@kafkajs/confluent-schema-registry'
import avsc from 'avsc'
import type { Type } from 'avsc'
import type { AvroSchema } from './parse-schema.ts'
import { parseSchema } from './parse-schema.ts'
import { SchemaError } from './schema-errors.ts'
import type { SchemaRegistry } from './schema-registry.ts'

/** How long an ID the registry answered 404 for is answered SCHEMA_NOT_FOUND without asking again. */
const ABSENT_TTL_MS = 60_000

/** Options of {@link ConfluentSchemaRegistry}. */
export interface ConfluentSchemaRegistryOptions {
  /** Base URL of a Confluent-compatible API, e.g. `http://127.0.0.1:8081/apis/ccompat/v7` for Apicurio. */
  readonly url: string
  /**
   * Compatibility level a subject must have. The client sets it on a subject's first registration and
   * refuses (`SCHEMA_INCOMPATIBLE`) to register under a subject configured with another level.
   * Default `BACKWARD`.
   */
  readonly compatibility?: `${COMPATIBILITY}`
  /** Sent as the client ID header; default `backend-event`. */
  readonly clientId?: string
  /** A ready client, for tests; `url` is then ignored. */
  readonly client?: ConfluentClient
}

/**
 * A {@link SchemaRegistry} backed by a Confluent-compatible registry over HTTP, through
 * `@kafkajs/confluent-schema-registry`. Schema IDs are the registry's; writer types are parsed from the
 * registry's answer and cached by ID, so `lookup` serves the hot path without I/O once `register` or
 * `fetch` has seen an ID.
 *
 * @throws {SchemaError} from `register`: `SCHEMA_INCOMPATIBLE` (HTTP 409, or a subject compatibility
 *   level other than the configured one), `SCHEMA_INVALID` (HTTP 422), `SCHEMA_REGISTRY_FAILED` otherwise;
 *   from `fetch`: `SCHEMA_NOT_FOUND` (HTTP 404, remembered for a minute), `SCHEMA_INVALID` (not an Avro
 *   schema), `SCHEMA_REGISTRY_FAILED` otherwise.
 */
export class ConfluentSchemaRegistry implements SchemaRegistry {
  /**
   * The client library loads with the first call, not with the process (it and protobufjs are 70 ms of a
   * start that may never need them: the embedded default has no registry).
   */
  readonly #client: () => Promise<ConfluentClient>
  readonly #compatibility: COMPATIBILITY
  readonly #types = new Map<number, Type>()
  readonly #pending = new Map<number, Promise<Type>>()
  /** IDs the registry answered 404 for, until when (ms): a topic full of foreign IDs asks once a minute. */
  readonly #absent = new Map<number, number>()

  constructor(options: ConfluentSchemaRegistryOptions) {
    let client: Promise<ConfluentClient> | undefined =
      options.client === undefined ? undefined : Promise.resolve(options.client)
    this.#client = () =>
      (client ??= import('@kafkajs/confluent-schema-registry').then(
        ({ SchemaRegistry }) =>
          new SchemaRegistry({ host: options.url, clientId: options.clientId ?? 'backend-event' }),
      ))
    this.#compatibility = (options.compatibility ?? 'BACKWARD') as COMPATIBILITY
  }

  async register(subject: string, schema: AvroSchema): Promise<number> {
    const type = parseSchema(schema)
    let id: number
    try {
      id = await this.#registerOnce(subject, schema).catch((cause: unknown) => {
        // Instances starting together on a new subject each register (the same ID) and then each set the
        // subject's compatibility; the registry refuses the second setting (409 on PUT /config/<subject>)
        // although the schema is registered. Registering again finds the setting and answers the ID.
        if (!isConcurrentConfigUpdate(cause)) throw cause
        return this.#registerOnce(subject, schema)
      })
    } catch (cause) {
      throw registryError(cause, `cannot register a schema under ${subject}`, { subject })
    }
    if (!this.#types.has(id)) this.#types.set(id, type)
    return id
  }

  async #registerOnce(subject: string, schema: AvroSchema): Promise<number> {
    const client = await this.#client()
    const { SchemaType } = await import('@kafkajs/confluent-schema-registry')
    const registered = await client.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject, compatibility: this.#compatibility },
    )
    return registered.id
  }

  lookup(id: number): Type | undefined {
    return this.#types.get(id)
  }

  fetch(id: number): Promise<Type> {
    const known = this.#types.get(id)
    if (known !== undefined) return Promise.resolve(known)
    const absentUntil = this.#absent.get(id)
    if (absentUntil !== undefined) {
      if (Date.now() < absentUntil) {
        return Promise.reject(
          new SchemaError('SCHEMA_NOT_FOUND', `schema ID ${id} is not in the registry (answered recently)`, {
            details: { id },
          }),
        )
      }
      this.#absent.delete(id)
    }
    let pending = this.#pending.get(id)
    if (pending === undefined) {
      pending = this.#fetchFromRegistry(id).finally(() => this.#pending.delete(id))
      this.#pending.set(id, pending)
    }
    return pending
  }

  async #fetchFromRegistry(id: number): Promise<Type> {
    let found: unknown
    try {
      // For Avro the client answers an avsc Type (parsed with its default options), not the schema text.
      found = await (await this.#client()).getSchema(id)
    } catch (cause) {
      const error = registryError(cause, `cannot fetch schema ID ${id}`, { id })
      if (error.code === 'SCHEMA_NOT_FOUND') this.#absent.set(id, Date.now() + ABSENT_TTL_MS)
      throw error
    }
    if (!avsc.Type.isType(found)) {
      throw new SchemaError('SCHEMA_INVALID', `schema ID ${id} is not an Avro schema`, { details: { id } })
    }
    const type = found as Type
    this.#types.set(id, type)
    return type
  }
}

/** The registry refused a compatibility setting another instance made at the same moment. */
function isConcurrentConfigUpdate(cause: unknown): boolean {
  const { status, url } = (cause ?? {}) as { status?: unknown; url?: unknown }
  return status === 409 && typeof url === 'string' && url.includes('/config/')
}

function registryError(cause: unknown, message: string, details: Record<string, unknown>): SchemaError {
  const status = (cause as { status?: unknown } | null)?.status
  const reason = cause instanceof Error ? cause.message : String(cause)
  const all = { ...details, status, reason }
  if (
    status === 409 ||
    (cause instanceof Error && cause.name === 'ConfluentSchemaRegistryCompatibilityError')
  ) {
    return new SchemaError('SCHEMA_INCOMPATIBLE', `${message}: ${reason}`, { details: all, cause })
  }
  if (status === 422 || (cause instanceof Error && cause.name === 'ConfluentSchemaRegistryArgumentError')) {
    return new SchemaError('SCHEMA_INVALID', `${message}: ${reason}`, { details: all, cause })
  }
  if (status === 404)
    return new SchemaError('SCHEMA_NOT_FOUND', `${message}: ${reason}`, { details: all, cause })
  return new SchemaError('SCHEMA_REGISTRY_FAILED', `${message}: ${reason}`, { details: all, cause })
}

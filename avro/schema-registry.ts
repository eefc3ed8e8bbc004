import type { Type } from 'avsc'
import type { AvroSchema } from './parse-schema.ts'

/**
 * What the Avro serdes need from a schema registry. Two implementations:
 * {@link LocalSchemaRegistry} (embedded mode and TestDriver, no server) and
 * {@link ConfluentSchemaRegistry} (a Confluent-compatible registry over HTTP).
 *
 * @example
 * const registry = new LocalSchemaRegistry()
 * const id = await registry.register('counts-value', countInputSchema)
 * registry.lookup(id) // the avsc Type, synchronously
 */
export interface SchemaRegistry {
  /**
   * Register `schema` under `subject` (`<topic>-value` or `<topic>-key`) and return its schema ID.
   * Registering the same schema again returns the same ID.
   *
   * @throws {SchemaError} `SCHEMA_INCOMPATIBLE` when the subject's compatibility rule refuses it,
   *   `SCHEMA_REGISTRY_FAILED` when the registry cannot be reached.
   */
  register(subject: string, schema: AvroSchema): Promise<number>
  /** The writer type of a schema ID if this instance already knows it (registered, preloaded or fetched). Never does I/O. */
  lookup(id: number): Type | undefined
  /**
   * The writer type of a schema ID, asking the registry when it is not cached; later `lookup(id)` calls
   * answer from the cache.
   *
   * @throws {SchemaError} `SCHEMA_NOT_FOUND` for an ID the registry does not know,
   *   `SCHEMA_REGISTRY_FAILED` when it cannot be reached.
   */
  fetch(id: number): Promise<Type>
}

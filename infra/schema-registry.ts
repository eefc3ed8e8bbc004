import { ConfluentSchemaRegistry, LocalSchemaRegistry, type SchemaRegistry } from '../avro/index.ts'
import type { Config } from './config.ts'

/** The registry the configuration asks for: Confluent-compatible when SCHEMA_REGISTRY_URL is set, else local. */
export function schemaRegistryFor(config: Pick<Config, 'schemaRegistryUrl'>): SchemaRegistry {
  return config.schemaRegistryUrl === ''
    ? new LocalSchemaRegistry()
    : new ConfluentSchemaRegistry({ url: config.schemaRegistryUrl })
}

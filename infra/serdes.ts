import { ConfluentSchemaRegistry, LocalSchemaRegistry, type SchemaRegistry } from '../avro/index.ts'
import { createBookingSerdes, topicNames, type BookingSerdes } from '../topologies/index.ts'
import type { Config } from './config.ts'

/** The registry the configuration asks for: Confluent-compatible when SCHEMA_REGISTRY_URL is set, else local. */
export function schemaRegistryFor(config: Pick<Config, 'schemaRegistryUrl'>): SchemaRegistry {
  return config.schemaRegistryUrl === ''
    ? new LocalSchemaRegistry()
    : new ConfluentSchemaRegistry({ url: config.schemaRegistryUrl })
}

/**
 * The serdes of every topic, registered in the configured registry under the configured topic names
 * (`KAFKA_TOPIC_PREFIX`), initialized.
 */
export async function serdesFor(
  config: Pick<Config, 'schemaRegistryUrl' | 'kafkaTopicPrefix'>,
): Promise<BookingSerdes> {
  const serdes = createBookingSerdes(schemaRegistryFor(config), topicNames(config.kafkaTopicPrefix))
  await serdes.init()
  return serdes
}

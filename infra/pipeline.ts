import { join } from 'node:path'
import type { Logger } from 'pino'
import { DEVELOPMENT_TICKET_SECRET, TicketSigner } from '../processors/index.ts'
import { EmbeddedLog, EmbeddedStreams, KafkaStreams, type Clock } from '../streams/index.ts'
import { buildBookingTopology, type BookingSerdes } from '../topologies/index.ts'
import { kafkaSecurityOf, type Config } from './config.ts'
import { serdesFor } from './serdes.ts'
import { declareTopics } from './topics.ts'

/** The running stream-processing side of the service, on Kafka or on the embedded log. */
export interface Pipeline {
  readonly transport: 'kafka' | 'embedded'
  /** The embedded log (embedded mode only): the API produces commands into it. */
  readonly log: EmbeddedLog | undefined
  readonly streams: KafkaStreams | EmbeddedStreams
  close(): Promise<void>
}

/**
 * Opens the durable embedded log in DATA_DIR, its journal read and checked on a worker thread
 * (`EmbeddedLog.load`): the caller's thread is free for other work until it is needed.
 */
export function openEmbeddedLog(config: Config): Promise<EmbeddedLog> {
  return EmbeddedLog.load({
    dir: join(config.dataDir, 'log'),
    fsyncIntervalMs: config.embeddedFsyncIntervalMs,
  })
}

/**
 * Builds the booking topology with the configured schema registry and runs it:
 * on Kafka when KAFKA_BROKERS is set, else on the durable embedded log in
 * DATA_DIR (`parts.log` when the caller opened it already: the pipeline then owns it). Same topology,
 * serdes and processors either way. Ticket codes are signed with TICKET_SECRET:
 * the service's configuration (`loadServiceConfig`) always has one, refused when it is the development key
 * outside the embedded mode; a test or tool process that loaded only `loadConfig` signs with the
 * development key. `parts.clock` is the wall clock by default (tests move a skipped clock forward to
 * bring timers due).
 */
export async function startPipeline(
  config: Config,
  logger: Logger,
  parts: { serdes?: BookingSerdes; clock?: Clock; log?: Promise<EmbeddedLog> } = {},
): Promise<Pipeline> {
  const serdes = parts.serdes ?? (await serdesFor(config))
  const tickets = new TicketSigner(config.ticketSecret || DEVELOPMENT_TICKET_SECRET)
  const topology = buildBookingTopology({ serdes, tickets })
  const common = {
    applicationId: config.applicationId,
    topics: declareTopics(serdes.topics),
    deadLetterTopic: serdes.topics.deadLetters,
    metricPrefix: 'backend_event_streams',
    commitIntervalMs: config.commitIntervalMs,
    logger,
    ...(parts.clock === undefined ? {} : { clock: parts.clock }),
  }
  if (config.kafkaBrokers.length > 0) {
    const streams = new KafkaStreams(topology, {
      ...common,
      brokers: config.kafkaBrokers,
      kafka: kafkaSecurityOf(config),
      sessionTimeoutMs: config.kafkaSessionTimeoutMs,
      replicationFactor: config.kafkaReplicationFactor,
    })
    await streams.start()
    return { transport: 'kafka', log: undefined, streams, close: () => streams.close() }
  }
  const log = await (parts.log ?? openEmbeddedLog(config))
  const streams = new EmbeddedStreams(topology, { ...common, log })
  try {
    await streams.start()
  } catch (error) {
    log.close()
    throw error
  }
  return {
    transport: 'embedded',
    log,
    streams,
    close: async () => {
      await streams.close()
      log.close()
    },
  }
}

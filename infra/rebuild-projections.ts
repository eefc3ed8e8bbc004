/**
 * `npm run projections:rebuild`: replays the domain topics from the start into a fresh catalog schema and
 * swaps it in (read-models/catalog/rebuild.ts). Run it with the service stopped. Configuration as for the
 * service: `DATABASE_URL` (empty: PGlite in `DATA_DIR`), `READ_MODEL_SCHEMA`, `KAFKA_BROKERS` (empty: the
 * embedded log in `DATA_DIR/log`), `KAFKA_TOPIC_PREFIX`, `SCHEMA_REGISTRY_URL`.
 */
import { join } from 'node:path'
import pino from 'pino'
import { type ReadModelSource, rebuildCatalog } from '../read-models/catalog/index.ts'
import { EmbeddedLog } from '../streams/index.ts'
import { kafkaSecurityOf, loadConfig } from './config.ts'
import { serdesFor } from './serdes.ts'

const config = loadConfig()
const logger = pino({ level: config.logLevel === 'silent' ? 'info' : config.logLevel })
const serdes = await serdesFor(config)
let log: EmbeddedLog | undefined
try {
  const source: ReadModelSource =
    config.kafkaBrokers.length > 0
      ? { brokers: config.kafkaBrokers, kafka: kafkaSecurityOf(config) }
      : { log: (log = EmbeddedLog.open({ dir: join(config.dataDir, 'log') })) }
  const report = await rebuildCatalog({
    schema: config.readModelSchema,
    ...(config.databaseUrl === '' ? { dataDir: config.dataDir } : { databaseUrl: config.databaseUrl }),
    serdes,
    source,
    logger,
  })
  logger.info(report, 'projections rebuilt')
} finally {
  log?.close()
}

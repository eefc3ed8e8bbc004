/**
 * backend-event's entry point (`npm start`): validates the configuration,
 * starts the stream-processing pipeline (embedded by default, Kafka when
 * KAFKA_BROKERS is set), and shuts down gracefully on SIGTERM/SIGINT: the open
 * transactions commit, tasks close, the instance leaves its consumer group.
 */
import pino from 'pino'
import { describeConfig, loadConfig } from './infra/config.ts'
import { startPipeline } from './infra/pipeline.ts'

const config = loadConfig()
const logger = pino({ level: config.logLevel, base: { service: 'backend-event' } })
logger.info({ config: describeConfig(config) }, 'starting')

const pipeline = await startPipeline(config, logger)
pipeline.streams.onError((error) => {
  logger.fatal({ err: error }, 'the pipeline stopped on a fatal error')
  process.exit(70)
})
logger.info(
  { transport: pipeline.transport, dataDir: pipeline.log ? config.dataDir : undefined },
  'backend-event is running',
)

let stopping = false
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 30 s; exiting')
      process.exit(1)
    }, 30_000)
    force.unref()
    pipeline
      .close()
      .then(() => {
        logger.info('stopped')
        process.exit(0)
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      })
  })

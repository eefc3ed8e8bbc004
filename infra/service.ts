/**
 * The composition root of backend-event: everything `main.ts` runs, in start
 * order, closed in reverse.
 *
 *   pipeline (booking topology on the embedded log or Kafka)
 *   → read model (PGlite or PostgreSQL) fed by its projection
 *   → analytics (chDB or ClickHouse) fed by the analytics sink
 *   → query API (Fastify) producing commands and reading the read model
 *
 * In embedded mode everything shares one process and one data folder; with
 * KAFKA_BROKERS, DATABASE_URL, REDIS_URL and CLICKHOUSE_URL each part talks to
 * its server, and N instances share the work.
 */
import { join } from 'node:path'
import type { Logger } from 'pino'
import { type RunningApi, seedDemoCatalog, startApi, statsRoutes } from '../query-api/index.ts'
import {
  AnalyticsSink,
  analyticsTopics,
  createClickHouse,
  createStatsQueries,
  migrate as migrateAnalytics,
} from '../read-models/analytics/index.ts'
import { openReadModel, startReadModelProjection } from '../read-models/catalog/index.ts'
import { EmbeddedProjection, KafkaProjection, type ProjectionRunner } from '../streams/index.ts'
import { kafkaSecurityOf, type ServiceConfig } from './config.ts'
import { startPipeline, type Pipeline } from './pipeline.ts'
import { serdesFor } from './serdes.ts'

export interface Service {
  readonly pipeline: Pipeline
  readonly api: RunningApi
  close(): Promise<void>
}

/** Starts the service on a configuration `loadServiceConfig` checked (its secrets decided). */
export async function startService(config: ServiceConfig, logger: Logger): Promise<Service> {
  const closers: (() => Promise<unknown>)[] = []
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse())
      await closer().catch((error: unknown) => logger.warn({ err: error }, 'close failed'))
  }
  // How long each part took to start, logged once the service runs (restart time is a promise: README).
  const stages: { [stage: string]: number } = {}
  let last = performance.now()
  const stage = (name: string): void => {
    const now = performance.now()
    stages[name] = Math.round(now - last)
    last = now
  }
  try {
    const serdes = await serdesFor(config)
    stage('serdesMs')

    const pipeline = await startPipeline(config, logger, serdes)
    stage('pipelineMs')
    closers.push(() => pipeline.close())
    // The catalog's consumer group belongs to the application: two deployments on one cluster never share it.
    const kafka = kafkaSecurityOf(config)
    const source =
      pipeline.log !== undefined
        ? { log: pipeline.log }
        : { brokers: config.kafkaBrokers, groupId: `${config.applicationId}-catalog`, kafka }

    const readModel = await openReadModel({
      schema: config.readModelSchema,
      ...(config.databaseUrl !== '' ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir }),
      logger,
    })
    closers.push(() => readModel.close())
    const catalog = await startReadModelProjection({ model: readModel, serdes, source, logger })
    closers.push(() => catalog.close())
    stage('catalogMs')

    const clickhouse = createClickHouse(
      config.clickhouseUrl !== ''
        ? { url: config.clickhouseUrl }
        : { path: join(config.dataDir, 'clickhouse') },
    )
    closers.push(() => clickhouse.close())
    await migrateAnalytics(clickhouse)
    const sink = new AnalyticsSink({ client: clickhouse, serdes, logger })
    const analyticsOptions = { name: 'analytics', topics: analyticsTopics(serdes.topics), sink, logger }
    const analytics: ProjectionRunner =
      pipeline.log !== undefined
        ? new EmbeddedProjection(pipeline.log, analyticsOptions)
        : new KafkaProjection({
            ...analyticsOptions,
            brokers: config.kafkaBrokers,
            kafka,
            groupId: `${config.applicationId}-analytics`,
          })
    await analytics.start()
    closers.push(() => analytics.close())
    stage('analyticsMs')

    const api = await startApi({
      config,
      pipeline: {
        log: pipeline.log,
        metricsRegistries: [pipeline.streams.metrics.registry, sink.metrics.registry],
      },
      serdes,
      kafka,
      readModel,
      logger,
      plugins: [statsRoutes(createStatsQueries({ client: clickhouse }))],
    })
    closers.push(() => api.close())
    stage('apiMs')
    // The embedded default comes up with a realistic catalog, produced through the same command path.
    if (pipeline.log !== undefined) await seedDemoCatalog({ readModel, commands: api.commands, logger })
    stage('demoCatalogMs')
    logger.info({ stages }, 'service started')
    return { pipeline, api, close }
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * The composition root of backend-event: everything `main.ts` runs, in start
 * order, closed in reverse.
 *
 *   pipeline (booking topology on the embedded log or Kafka)
 *   → read model (PGlite or PostgreSQL) fed by its projection
 *   → analytics (chDB or ClickHouse) fed by the analytics sink
 *   → query API (Fastify) producing commands and reading the read model
 *   → in the embedded mode, the reference payment service with the sandbox provider
 *
 * In embedded mode everything shares one process and one data folder; with
 * KAFKA_BROKERS, DATABASE_URL, REDIS_URL and CLICKHOUSE_URL each part talks to
 * its server, and N instances share the work.
 */
import { join } from 'node:path'
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import {
  reviewDemoEventWhenCompleted,
  type RunningApi,
  SandboxPaymentGateway,
  seedDemoCatalog,
  startApi,
  startPaymentService,
  statsRoutes,
} from '../query-api/index.ts'
import {
  AnalyticsSink,
  analyticsTopics,
  createClickHouse,
  createStatsQueries,
  migrate as migrateAnalytics,
  type StatsQueries,
} from '../read-models/analytics/index.ts'
import { openReadModel, startReadModelProjection } from '../read-models/catalog/index.ts'
import { projectionOf } from '../streams/index.ts'
import type { BookingSerdes } from '../topologies/index.ts'
import { kafkaSecurityOf, type ServiceConfig } from './config.ts'
import { startPipeline, type Pipeline } from './pipeline.ts'
import { serdesFor } from './serdes.ts'

export interface Service {
  readonly pipeline: Pipeline
  readonly api: RunningApi
  /** Settles once analytics run (chDB or ClickHouse migrated, the sink consuming); rejects when they cannot start. */
  readonly analyticsStarted: Promise<void>
  close(): Promise<void>
}

/** Starts the service on a configuration `loadServiceConfig` checked (its secrets decided). */
export async function startService(config: ServiceConfig, logger: Logger): Promise<Service> {
  const closers: (() => Promise<unknown>)[] = []
  const close = async (): Promise<void> => {
    await starting
    for (const closer of closers.reverse())
      await closer().catch((error: unknown) => logger.warn({ err: error }, 'close failed'))
  }
  let starting: Promise<unknown> = Promise.resolve()
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

    // Analytics start once the API serves: opening chDB and catching its sink up take seconds, and nothing
    // a client waits for at a restart needs them. A stats request that comes earlier waits for them.
    const analyticsRegistry = new Registry()
    const analyticsUp = Promise.withResolvers<StatsQueries>()
    analyticsUp.promise.catch(() => undefined)
    // The embedded mode runs the reference payment service in-process, with the sandbox provider whose
    // routes the API mounts; on real infrastructure it is a process of its own (`npm run payments:sandbox`,
    // or a real provider's adapter).
    const sandbox = pipeline.log !== undefined ? new SandboxPaymentGateway() : undefined
    const api = await startApi({
      config,
      pipeline: {
        log: pipeline.log,
        metricsRegistries: [pipeline.streams.metrics.registry, analyticsRegistry],
      },
      serdes,
      kafka,
      readModel,
      logger,
      plugins: [statsRoutes(deferredStats(analyticsUp.promise))],
      ...(sandbox === undefined ? {} : { sandbox }),
    })
    const apiCloser = () => api.close()
    closers.push(apiCloser)
    if (sandbox !== undefined && pipeline.log !== undefined) {
      const payments = await startPaymentService({
        gateway: sandbox,
        serdes,
        source: { log: pipeline.log },
        report: (status) => api.commands.sendPaymentStatus(status),
        logger: logger.child({ component: 'payments' }),
      })
      closers.push(() => payments.close())
    }
    stage('apiMs')
    const analyticsStarted = (async () => {
      const started = performance.now()
      const running = await startAnalytics(config, {
        pipeline,
        serdes,
        kafka,
        logger,
        registry: analyticsRegistry,
      })
      // Closed before the read model and the pipeline, after the API, as if started in that order.
      closers.splice(closers.indexOf(apiCloser), 0, ...running.closers)
      analyticsUp.resolve(running.queries)
      logger.info({ analyticsMs: Math.round(performance.now() - started) }, 'analytics started')
    })()
    analyticsStarted.catch((error: unknown) => analyticsUp.reject(error))
    starting = analyticsStarted.catch(() => undefined)
    // The embedded default comes up with a realistic catalog, produced through the same command path.
    if (pipeline.log !== undefined) {
      const { seeded } = await seedDemoCatalog({ readModel, commands: api.commands, logger })
      const stopDemoReviews = reviewDemoEventWhenCompleted({
        readModel,
        commands: api.commands,
        logger,
        justSeeded: seeded,
      })
      closers.push(async () => stopDemoReviews())
    }
    stage('demoCatalogMs')
    logger.info({ stages }, 'service started')
    return { pipeline, api, analyticsStarted, close }
  } catch (error) {
    await close()
    throw error
  }
}

/** Opens ClickHouse (chDB in the data folder when no server is configured), migrates it and starts the sink. */
async function startAnalytics(
  config: ServiceConfig,
  parts: {
    readonly pipeline: Pipeline
    readonly serdes: BookingSerdes
    readonly kafka: ReturnType<typeof kafkaSecurityOf>
    readonly logger: Logger
    readonly registry: Registry
  },
): Promise<{ queries: StatsQueries; closers: (() => Promise<unknown>)[] }> {
  const { pipeline, serdes, kafka, logger, registry } = parts
  const clickhouse = createClickHouse(
    config.clickhouseUrl !== ''
      ? { url: config.clickhouseUrl }
      : { path: join(config.dataDir, 'clickhouse') },
  )
  const closers: (() => Promise<unknown>)[] = [() => clickhouse.close()]
  try {
    await migrateAnalytics(clickhouse)
    const sink = new AnalyticsSink({ client: clickhouse, serdes, logger, registry })
    const options = { name: 'analytics', topics: analyticsTopics(serdes.topics), sink, logger }
    const analytics = projectionOf(
      pipeline.log !== undefined
        ? { log: pipeline.log }
        : { brokers: config.kafkaBrokers, kafka, groupId: `${config.applicationId}-analytics` },
      options,
    )
    await analytics.start()
    closers.push(() => analytics.close())
    return { queries: createStatsQueries({ client: clickhouse }), closers }
  } catch (error) {
    await clickhouse.close().catch(() => undefined)
    throw error
  }
}

/** Stats queries that wait for analytics to start (see startService). */
function deferredStats(queries: Promise<StatsQueries>): StatsQueries {
  return {
    eventStats: async (...args) => (await queries).eventStats(...args),
    eventsStats: async (...args) => (await queries).eventsStats(...args),
    bookingStats: async (...args) => (await queries).bookingStats(...args),
    conversions: async (...args) => (await queries).conversions(...args),
    reviewStats: async (...args) => (await queries).reviewStats(...args),
  }
}

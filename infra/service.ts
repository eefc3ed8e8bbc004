/**
 * The composition root of backend-event: everything `main.ts` runs, in start
 * order, closed in reverse.
 *
 *   analytics (chDB in a child process, or ClickHouse) open and migrate while the read model (PGlite or
 *     PostgreSQL) opens, and the embedded log's journal is read on a worker thread
 *   → pipeline (booking topology on the embedded log or Kafka)
 *   → the read model's projection, and the analytics sink starting (catching up in the background)
 *   → a warm-up: one synthetic booking through the topology and a rolled-back projection (warm-up.ts)
 *   → query API (Fastify) producing commands and reading the read model and analytics; in the embedded
 *     mode once the analytics sink has started
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
  type ClickHouseClient,
  createStatsQueries,
  migrate as migrateAnalytics,
} from '../read-models/analytics/index.ts'
import { openReadModel, startReadModelProjection } from '../read-models/catalog/index.ts'
import { projectionOf, type ProjectionRunner } from '../streams/index.ts'
import type { BookingSerdes } from '../topologies/index.ts'
import { helperProcessEnv, kafkaSecurityOf, type ServiceConfig } from './config.ts'
import { openEmbeddedLog, startPipeline, type Pipeline } from './pipeline.ts'
import { serdesFor } from './serdes.ts'
import { warmUp } from './warm-up.ts'

export interface Service {
  readonly pipeline: Pipeline
  readonly api: RunningApi
  /**
   * The analytics sink, once it consumes (its positions read); rejects when it cannot start. Its
   * `caughtUp` tells when it has written what the pipeline had produced (a backlog goes at 2,000 records a
   * second).
   */
  readonly analyticsStarted: Promise<ProjectionRunner>
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
    // In the embedded mode the log's journal is read and checked on a worker thread (`EmbeddedLog.load`)
    // while this thread opens the read model and ClickHouse: on a data folder of 100,000 bookings the
    // read is most of a second, mostly page faults (bench/RESULTS.md, "Restart after SIGKILL").
    const logOpening = config.kafkaBrokers.length === 0 ? openEmbeddedLog(config) : undefined
    logOpening?.catch(() => undefined) // awaited below; a failure must not be unhandled meanwhile
    const logCloser = async () => (await logOpening?.catch(() => undefined))?.close()
    closers.push(logCloser)
    const serdes = await serdesFor(config)
    stage('serdesMs')

    // ClickHouse first: embedded, chDB opens in a process of its own (chdb-process.ts) and migrates while
    // the read model opens on this thread.
    const clickhouse = createClickHouse(
      config.clickhouseUrl !== ''
        ? { url: config.clickhouseUrl }
        : {
            path: join(config.dataDir, 'clickhouse'),
            engineEnv: helperProcessEnv(),
            onEngineExit: (how) =>
              logger.error(how, 'the chDB process ended; the next statement starts it again'),
          },
    )
    const clickhouseCloser = () => clickhouse.close()
    closers.push(clickhouseCloser)
    const analyticsMigrated = migrateAnalytics(clickhouse)
    analyticsMigrated.catch(() => undefined) // awaited below; a failure must not be unhandled meanwhile

    const readModel = await openReadModel({
      schema: config.readModelSchema,
      ...(config.databaseUrl !== '' ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir }),
      logger,
    })
    closers.push(() => readModel.close())
    stage('readModelMs')
    await analyticsMigrated
    stage('analyticsMs')

    const pipeline = await startPipeline(config, logger, {
      serdes,
      ...(logOpening === undefined ? {} : { log: logOpening }),
    })
    // The pipeline owns the log now: it closes it, last.
    closers[closers.indexOf(logCloser)] = () => pipeline.close()
    stage('pipelineMs')
    // The catalog's consumer group belongs to the application: two deployments on one cluster never share it.
    const kafka = kafkaSecurityOf(config)
    const source =
      pipeline.log !== undefined
        ? { log: pipeline.log }
        : { brokers: config.kafkaBrokers, groupId: `${config.applicationId}-catalog`, kafka }
    const catalog = await startReadModelProjection({ model: readModel, serdes, source, logger })
    closers.push(() => catalog.close())
    stage('catalogMs')

    const analyticsRegistry = new Registry()
    // The analytics sink reads its positions and booking tallies (100,000 active bookings: a quarter of a
    // second in chDB's process, a tenth on this thread), then catches up beside the API. It starts now,
    // while the warm-up below runs; nothing a client waits for needs it (stats read what is written), so on
    // real infrastructure the API does not wait for it (a ClickHouse that is down must not keep the API
    // down). In the embedded mode the API listens once it has started: loading the tallies after `/readyz`
    // held the first second's bookings behind it (bench/RESULTS.md, "Restart after SIGKILL").
    const analyticsStarted = (async () => {
      const started = performance.now()
      const sink = await startAnalyticsSink(config, clickhouse, {
        pipeline,
        serdes,
        kafka,
        logger,
        registry: analyticsRegistry,
      })
      // Closed after the API, before ClickHouse, the read model and the pipeline.
      closers.splice(closers.indexOf(clickhouseCloser) + 1, 0, () => sink.close())
      logger.info({ analyticsSinkMs: Math.round(performance.now() - started) }, 'analytics sink started')
      return sink
    })()
    starting = analyticsStarted.catch(() => undefined)
    // One synthetic booking through the topology and a rolled-back projection before the API serves
    // (warm-up.ts): the first bookings after a restart then find the code and the statements warm. It is
    // only that: should it fail, the service starts anyway and says why.
    await warmUp({ serdes, readModel }).then(
      (report) => logger.debug({ warmUp: report }, 'warmed up'),
      (error: unknown) => logger.error({ err: error }, 'warm-up failed'),
    )
    stage('warmUpMs')
    if (pipeline.log !== undefined) {
      await starting
      stage('analyticsSinkMs')
    }
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
      plugins: [statsRoutes(createStatsQueries({ client: clickhouse }))],
      ...(sandbox === undefined ? {} : { sandbox }),
    })
    closers.push(() => api.close())
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

/**
 * The embedded runner writes analytics at most once a second: every write costs chDB 60–74 ms of CPU for
 * 1 row or 10 (analytics-sink.ts), and at 100 bookings a second writing as records came took chDB's threads
 * nearly as much CPU as the service's main thread. Dashboards lag by up to a second more; a backlog (after a kill under
 * load) is caught up at 2,000 records a second, beside the API instead of in front of it.
 */
const ANALYTICS_LINGER_MS = 1000

/** Starts the analytics sink on a migrated ClickHouse, following the pipeline's topics. */
async function startAnalyticsSink(
  config: ServiceConfig,
  clickhouse: ClickHouseClient,
  parts: {
    readonly pipeline: Pipeline
    readonly serdes: BookingSerdes
    readonly kafka: ReturnType<typeof kafkaSecurityOf>
    readonly logger: Logger
    readonly registry: Registry
  },
): Promise<ProjectionRunner> {
  const { pipeline, serdes, kafka, logger, registry } = parts
  const sink = new AnalyticsSink({ client: clickhouse, serdes, logger, registry })
  const options = {
    name: 'analytics',
    topics: analyticsTopics(serdes.topics),
    sink,
    logger,
    lingerMs: ANALYTICS_LINGER_MS,
  }
  const analytics = projectionOf(
    pipeline.log !== undefined
      ? { log: pipeline.log }
      : { brokers: config.kafkaBrokers, kafka, groupId: `${config.applicationId}-analytics` },
    options,
  )
  await analytics.start()
  return analytics
}

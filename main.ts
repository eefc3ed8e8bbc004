/**
 * backend-event's entry point (`npm start`): validates the configuration
 * (refused: one line on stderr naming the variables, exit code 78),
 * starts the service (infra/service.ts: pipeline, read model, analytics, API;
 * embedded by default, on real infrastructure when configured), and shuts
 * down gracefully on SIGTERM/SIGINT: the API stops accepting, projections
 * stop, the open transactions commit, tasks close, the instance leaves its
 * consumer group.
 */
import { enableCompileCache, flushCompileCache } from 'node:module'
import type { ServiceConfig } from './infra/config.ts'

// Before anything else loads: Node keeps the TypeScript it stripped and the code V8 compiled from it on
// disk (NODE_COMPILE_CACHE, default a folder under the OS temp dir), so a restart does not compile the
// service again (0.7 s of CPU of this machine's 2.5 s of loading). The modules are imported after it.
enableCompileCache()
const { default: pino } = await import('pino')
const { describeConfig, loadServiceConfig } = await import('./infra/config.ts')

let config: ServiceConfig
try {
  config = loadServiceConfig()
} catch (error) {
  // A refused configuration is one line naming the variables, not a stack trace (nothing is logged of
  // the values: some are secrets).
  process.stderr.write(`backend-event: configuration refused: ${(error as Error).message}\n`)
  process.exit(78)
}
const logger = pino({ level: config.logLevel, base: { service: 'backend-event' } })
logger.info({ config: describeConfig(config) }, 'starting')

// Loaded once the configuration is accepted: a refusal costs no engine start-up (PGlite, chDB, Kafka).
const { startService } = await import('./infra/service.ts')
// Node writes its compile cache when the process exits normally: an embedded service killed with SIGKILL
// never did, and compiled itself again at every restart on its data folder. So the embedded mode writes it
// here, once the service's modules have loaded: the first start pays the writing (1.5 s on a slow 2-core
// machine), every later one finds it done (2 ms) and loads in 0.6 s instead of 0.9 (after the start it
// would have stalled the first requests instead). On real infrastructure an instance may start on a fresh
// file system every time (a container), where that write would only delay it: Node writes the cache at
// exit there, and NODE_COMPILE_CACHE can point at a folder that outlives the process.
if (config.embedded) flushCompileCache()
const service = await startService(config, logger)
service.pipeline.streams.onError((error) => {
  logger.fatal({ err: error }, 'the pipeline stopped on a fatal error')
  process.exit(70)
})
// The analytics sink starts after the API serves (infra/service.ts): failing to start it is as fatal as before.
service.analyticsStarted.catch((error: unknown) => {
  logger.fatal({ err: error }, 'the analytics sink could not start')
  process.exit(70)
})
logger.info(
  {
    transport: service.pipeline.transport,
    api: service.api.url,
    ...(service.api.opsUrl === undefined ? {} : { ops: service.api.opsUrl }),
    ...(service.api.grpcAddress === undefined ? {} : { grpc: service.api.grpcAddress }),
  },
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
    service
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

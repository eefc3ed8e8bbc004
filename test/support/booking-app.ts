/**
 * A process running the booking pipeline exactly as `main.ts` does (`startPipeline`: the booking
 * topology on Kafka when KAFKA_BROKERS is set), for crash tests and benchmarks: tests start it, kill
 * it with SIGKILL, restart it, and check exactness over the outputs.
 *
 *   APPLICATION_ID=…  (required: each run has its own consumer group, transactional IDs and changelogs)
 *   KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_SESSION_TIMEOUT_MS, COMMIT_INTERVAL_MS: see infra/config.ts
 *
 * Prints JSON lines on stdout: `{"ready":true}` once the pipeline runs, `{"tasks":[…]}` whenever its
 * tasks change (Kafka only), and `{"stopped":true,"commitFailures":[…]}` after a clean close on SIGTERM,
 * after which it exits 0. It also reports its committed progress and holds a commit on SIGUSR2
 * (commit-hold.ts). Logs (pino) go to stderr.
 *
 *   CLOCK_SKIP_FILE=…  (optional) the pipeline's clock is the wall clock plus the milliseconds written in this
 *   file, read at start and every 50 ms; a test writes larger values (never smaller) to bring holds and
 *   offers due at once on every instance, restarted ones included.
 */
import { readFileSync } from 'node:fs'
import pino from 'pino'
import { loadConfig } from '../../infra/config.ts'
import { startPipeline } from '../../infra/pipeline.ts'
import { installCommitHold } from './commit-hold.ts'

if (process.env.APPLICATION_ID === undefined || process.env.APPLICATION_ID === '') {
  process.stderr.write('booking-app: APPLICATION_ID is required (one per test run)\n')
  process.exit(64)
}
const config = loadConfig()
const logger = pino({ level: config.logLevel, base: { app: 'booking-app' } }, pino.destination(2))
const line = (value: object): void => {
  process.stdout.write(JSON.stringify(value) + '\n')
}

/** The wall clock plus the skip in CLOCK_SKIP_FILE (only ever moved forward: a partial read is ignored). */
function skippedClock(file: string): { now: () => number } {
  let skipMs = 0
  const read = (): void => {
    try {
      const value = Number(readFileSync(file, 'utf8'))
      if (Number.isSafeInteger(value) && value > skipMs) skipMs = value
    } catch {
      // Not written yet: no skip.
    }
  }
  read()
  setInterval(read, 50).unref()
  return { now: () => Date.now() + skipMs }
}

installCommitHold(line)
const skipFile = process.env.CLOCK_SKIP_FILE
const pipeline = await startPipeline(
  config,
  logger,
  skipFile === undefined || skipFile === '' ? {} : { clock: skippedClock(skipFile) },
)
const { streams } = pipeline
streams.onError((error) => {
  logger.fatal({ err: error }, 'the pipeline stopped on a fatal error')
  process.exit(70)
})
if ('onTasksChanged' in streams) streams.onTasksChanged((tasks) => line({ tasks }))
line({ ready: true, pid: process.pid, transport: pipeline.transport })

let stopping = false
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 30 s; exiting')
      process.exit(1)
    }, 30_000)
    force.unref()
    pipeline
      .close()
      .then(async () => {
        const failures = await streams.metrics.commitFailures.get()
        line({ stopped: true, commitFailures: failures.values })
        process.exit(0)
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      })
  })

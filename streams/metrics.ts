import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * The runtime's metrics, one registry per application instance (so several
 * instances in one process, as in tests, do not collide). The API merges it
 * into its `/metrics`. Names start with the configured `metricPrefix`
 * (`backend_event_streams` in the service: `backend_event_streams_commits_total`).
 */
export class StreamsMetrics {
  readonly registry = new Registry()
  readonly recordsProcessed: Counter
  readonly commits: Counter
  readonly commitFailures: Counter
  readonly commitSeconds: Histogram
  readonly deadLetters: Counter
  readonly restoredRecords: Counter
  readonly restoreSeconds: Histogram
  readonly activeTasks: Gauge

  constructor(prefix = 'streams') {
    this.recordsProcessed = new Counter({
      name: `${prefix}_records_processed_total`,
      help: 'Input records processed (including dead-lettered ones)',
      labelNames: ['subtopology'],
      registers: [this.registry],
    })
    this.commits = new Counter({
      name: `${prefix}_commits_total`,
      help: 'Committed transactions (one per task per commit in Kafka; one per round in embedded mode)',
      registers: [this.registry],
    })
    this.commitFailures = new Counter({
      name: `${prefix}_commit_failures_total`,
      help: 'Commits that failed and made the task restart from its last commit',
      labelNames: ['reason'],
      registers: [this.registry],
    })
    this.commitSeconds = new Histogram({
      name: `${prefix}_commit_seconds`,
      help: 'Duration of a commit',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    })
    this.deadLetters = new Counter({
      name: `${prefix}_dead_letters_total`,
      help: 'Records sent to the dead-letter topic',
      labelNames: ['stage'],
      registers: [this.registry],
    })
    this.restoredRecords = new Counter({
      name: `${prefix}_restore_records_total`,
      help: 'Changelog records applied while restoring stores',
      labelNames: ['store'],
      registers: [this.registry],
    })
    this.restoreSeconds = new Histogram({
      name: `${prefix}_restore_seconds`,
      help: 'Time to restore the stores of one task',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [this.registry],
    })
    this.activeTasks = new Gauge({
      name: `${prefix}_active_tasks`,
      help: 'Tasks this instance runs',
      registers: [this.registry],
    })
  }
}

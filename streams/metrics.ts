import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * The runtime's metrics, one registry per application instance (so several
 * instances in one process, as in tests, do not collide). The API merges it
 * into its `/metrics`.
 */
export class StreamsMetrics {
  readonly registry = new Registry()
  readonly recordsProcessed = new Counter({
    name: 'backend_event_streams_records_processed_total',
    help: 'Input records processed (including dead-lettered ones)',
    labelNames: ['subtopology'],
    registers: [this.registry],
  })
  readonly commits = new Counter({
    name: 'backend_event_streams_commits_total',
    help: 'Committed transactions (one per task per commit in Kafka; one per round in embedded mode)',
    registers: [this.registry],
  })
  readonly commitFailures = new Counter({
    name: 'backend_event_streams_commit_failures_total',
    help: 'Commits that failed and made the task restart from its last commit',
    labelNames: ['reason'],
    registers: [this.registry],
  })
  readonly commitSeconds = new Histogram({
    name: 'backend_event_streams_commit_seconds',
    help: 'Duration of a commit',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  })
  readonly deadLetters = new Counter({
    name: 'backend_event_streams_dead_letters_total',
    help: 'Records sent to the dead-letter topic',
    labelNames: ['stage'],
    registers: [this.registry],
  })
  readonly restoredRecords = new Counter({
    name: 'backend_event_streams_restore_records_total',
    help: 'Changelog records applied while restoring stores',
    labelNames: ['store'],
    registers: [this.registry],
  })
  readonly restoreSeconds = new Histogram({
    name: 'backend_event_streams_restore_seconds',
    help: 'Time to restore the stores of one task',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  })
  readonly activeTasks = new Gauge({
    name: 'backend_event_streams_active_tasks',
    help: 'Tasks this instance runs',
    registers: [this.registry],
  })
}

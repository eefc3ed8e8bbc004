import { Counter, Registry } from 'prom-client'

/** The sink's metrics (`backend_event_analytics_*`). */
export class AnalyticsMetrics {
  readonly registry: Registry
  readonly facts: Counter<'table'>
  readonly skipped: Counter<'topic'>
  readonly retries: Counter<'table'>
  readonly batches: Counter<'table'>

  constructor(registry = new Registry()) {
    this.registry = registry
    this.facts = new Counter({
      name: 'backend_event_analytics_facts_total',
      help: 'Fact rows written to ClickHouse (a batch written again after a crash counts again)',
      labelNames: ['table'],
      registers: [registry],
    })
    this.skipped = new Counter({
      name: 'backend_event_analytics_skipped_records_total',
      help: 'Records that gave no fact: tombstones, undecodable values, JSON contract violations',
      labelNames: ['topic'],
      registers: [registry],
    })
    this.retries = new Counter({
      name: 'backend_event_analytics_retries_total',
      help: 'Batch writes that failed and are retried after a backoff (ClickHouse unavailable)',
      labelNames: ['table'],
      registers: [registry],
    })
    this.batches = new Counter({
      name: 'backend_event_analytics_batches_total',
      help: 'Batches written',
      labelNames: ['table'],
      registers: [registry],
    })
  }
}

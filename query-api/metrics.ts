import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/** The API's metrics (`backend_event_api_*`), one registry per app; `/metrics` merges others in. */
export class ApiMetrics {
  readonly registry = new Registry()
  readonly requests = new Counter({
    name: 'backend_event_api_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  })
  readonly duration = new Histogram({
    name: 'backend_event_api_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })
  readonly commands = new Counter({
    name: 'backend_event_api_commands_total',
    help: 'Commands produced to the pipeline, by command type',
    labelNames: ['command'],
    registers: [this.registry],
  })
  readonly waitOutcomes = new Counter({
    name: 'backend_event_api_prefer_wait_total',
    help: 'Prefer: wait requests, by result (decided, timeout)',
    labelNames: ['result'],
    registers: [this.registry],
  })
  readonly cache = new Counter({
    name: 'backend_event_api_cache_total',
    help: 'Catalog cache look-ups, by result (hit, miss)',
    labelNames: ['result'],
    registers: [this.registry],
  })
  readonly waiting = new Gauge({
    name: 'backend_event_api_waiting_requests',
    help: 'Requests waiting for an outcome now',
    registers: [this.registry],
  })
}

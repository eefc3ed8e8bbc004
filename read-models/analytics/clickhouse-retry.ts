import type { Logger } from 'pino'
import type { AnalyticsMetrics } from './analytics-metrics.ts'

/** Backoff of the sink while ClickHouse fails. */
export interface AnalyticsRetryOptions {
  /** First pause, ms. Default 100. */
  readonly initialDelayMs?: number
  /** Longest pause, ms. Default 10,000. */
  readonly maxDelayMs?: number
}

/**
 * ClickHouse error codes that no retry can fix (the SQL or the data is wrong, or the schema is missing):
 * syntax, unknown table/column/database/identifier/function, type and parse errors.
 */
const PERMANENT_CLICKHOUSE_CODES = new Set([
  '6',
  '16',
  '26',
  '27',
  '36',
  '43',
  '46',
  '47',
  '53',
  '60',
  '62',
  '70',
  '72',
  '81',
  '117',
])

/** Whether a failed write may succeed later: any outage, but never a programming or schema error. */
export function isRetriableWrite(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError)
    return false
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && /^\d+$/.test(code)) return !PERMANENT_CLICKHOUSE_CODES.has(code)
  return true
}

/**
 * Runs ClickHouse calls of the sink until they succeed: a failure {@link isRetriableWrite} accepts is
 * counted, logged and retried after an exponential backoff with jitter (from `initialDelayMs`, doubling up
 * to `maxDelayMs`), forever, because the sink may not skip a batch and nothing else waits on it. Any other
 * error is thrown at once. `close()` ends a pause in progress: the call then rejects, and so does every
 * later one.
 */
export class ClickHouseRetry {
  readonly #metrics: AnalyticsMetrics
  readonly #logger: Logger
  readonly #initialDelayMs: number
  readonly #maxDelayMs: number
  readonly #sleeps = new Set<() => void>()
  #closed = false

  constructor(metrics: AnalyticsMetrics, logger: Logger, options: AnalyticsRetryOptions = {}) {
    this.#metrics = metrics
    this.#logger = logger
    this.#initialDelayMs = options.initialDelayMs ?? 100
    this.#maxDelayMs = options.maxDelayMs ?? 10_000
  }

  /** `attempt` until it succeeds; `table` labels the retry metric and log lines. */
  async run<T>(table: string, attempt: () => Promise<T>): Promise<T> {
    let delayMs = this.#initialDelayMs
    for (;;) {
      if (this.#closed) throw new Error('the analytics sink is closed')
      try {
        return await attempt()
      } catch (error) {
        if (!isRetriableWrite(error) || this.#closed) throw error
        this.#metrics.retries.inc({ table })
        this.#logger.warn({ err: error, table, delayMs }, 'ClickHouse write failed; retrying after a pause')
        await this.#sleep(delayMs * (0.5 + Math.random() / 2))
        delayMs = Math.min(delayMs * 2, this.#maxDelayMs)
      }
    }
  }

  /** Ends the backoff of a call in progress (it rejects); later calls reject at once. */
  close(): void {
    this.#closed = true
    for (const wake of this.#sleeps) wake()
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        this.#sleeps.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.#sleeps.add(wake)
    })
  }
}

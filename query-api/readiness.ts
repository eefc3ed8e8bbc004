import type { FastifyBaseLogger } from 'fastify'

/** What `/readyz` answers: every dependency's state in a public word, never the error behind it. */
export interface ReadinessReport {
  readonly ready: boolean
  readonly checks: Readonly<Record<string, 'ok' | 'unavailable'>>
}

export interface ReadinessOptions {
  /** Named checks: each resolves when its dependency answers (the read model, the command transport, Redis). */
  readonly checks: Readonly<Record<string, () => Promise<void>>>
  /** How long a report is reused (READINESS_CACHE_MS); 0 checks on every call. */
  readonly cacheMs: number
  /** A check that takes longer fails. Default 2000. */
  readonly timeoutMs?: number
  /** Where the reasons go: a failed check logs its error here, with the dependency's name. */
  readonly logger: FastifyBaseLogger
}

/**
 * The readiness of the API's dependencies, checked at most once per `cacheMs` however often `/readyz` is
 * called (concurrent callers share one round of checks), so a flood of probes costs the dependencies
 * nothing. The answer says `ok` or `unavailable` per dependency: addresses, user names and driver messages
 * stay in the logs.
 */
export class Readiness {
  readonly #options: ReadinessOptions
  #last: { report: ReadinessReport; at: number } | undefined
  #running: Promise<ReadinessReport> | undefined

  constructor(options: ReadinessOptions) {
    this.#options = options
  }

  /** The latest report, checking again when it is older than `cacheMs`. */
  report(): Promise<ReadinessReport> {
    const last = this.#last
    if (last !== undefined && performance.now() - last.at < this.#options.cacheMs)
      return Promise.resolve(last.report)
    this.#running ??= this.#check().finally(() => (this.#running = undefined))
    return this.#running
  }

  async #check(): Promise<ReadinessReport> {
    const timeoutMs = this.#options.timeoutMs ?? 2000
    const checks: Record<string, 'ok' | 'unavailable'> = {}
    await Promise.all(
      Object.entries(this.#options.checks).map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)
            }),
          ])
          checks[name] = 'ok'
        } catch (error) {
          checks[name] = 'unavailable'
          this.#options.logger.warn({ err: error, dependency: name }, 'readiness check failed')
        } finally {
          clearTimeout(timer)
        }
      }),
    )
    const report = { ready: Object.values(checks).every((c) => c === 'ok'), checks }
    this.#last = { report, at: performance.now() }
    return report
  }
}

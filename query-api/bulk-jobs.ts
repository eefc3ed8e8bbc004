/**
 * Bulk jobs (routes/bulk.ts): one stored job, many ordinary commands. Each item becomes the command its
 * single-item route would produce (the same plan: publishEventPlan, cancelEventPlan, cancelBookingPlan,
 * with the same checks), under a request ID derived from (job, item position), so the event's task decides
 * each item once however often it is produced. The producer works through a job's items in chunks, marking
 * each chunk produced in the read model; after a crash, the service resumes every job with items left on
 * start, and every instance picks up a job no producer has touched for a while (its instance died).
 *
 * An item the API refuses before producing anything (another organizer's event: 403 FORBIDDEN; a booking
 * the caller may not see: 404 BOOKING_NOT_FOUND) is refused alone, with its code; the other items go on.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { BulkItemProduced, BulkItemToProduce, BulkJobRecord } from '../read-models/catalog/index.ts'
import type { Principal } from './auth.ts'
import { derivedId, produceCommand, type CommandPlan } from './command-flow.ts'
import type { ApiContext, BulkJobs } from './context.ts'
import { ApiError } from './errors.ts'
import { cancelBookingPlan } from './routes/booking-command-flow.ts'
import { cancelEventPlan, publishEventPlan } from './routes/event-lifecycle.ts'

/** The most items one job may carry. */
export const MAX_BULK_ITEMS = 500

/** Items produced between two progress marks: at most this many are produced again after a crash. */
const CHUNK = 25

/** The request ID of item `position` of job `jobId`: the same on every production, on any instance. */
export function bulkItemRequestId(jobId: string, position: number): string {
  return derivedId(JSON.stringify(['bulk', jobId, position]))
}

export interface BulkJobRunnerOptions {
  /** At most this many items' commands per second per job (0: no limit), so a job never floods a partition. */
  readonly commandsPerSecond: number
  /** A job no producer touched for this long is picked up by the sweep (its instance died). */
  readonly idleAfterMs: number
  readonly log: FastifyBaseLogger
}

/**
 * Produces the commands of stored jobs: `run` after a job is stored, `resume` when the service starts,
 * `sweep` now and then. One producer per job per process; two instances producing the same job (a sweep
 * meeting a slow producer) only produce the same request IDs twice, which the pipeline answers once.
 */
export class BulkJobRunner implements BulkJobs {
  readonly #context: () => ApiContext
  readonly #options: BulkJobRunnerOptions
  readonly #running = new Map<string, Promise<void>>()
  #closed = false
  #timer: NodeJS.Timeout | undefined

  constructor(context: () => ApiContext, options: BulkJobRunnerOptions) {
    this.#context = context
    this.#options = options
  }

  /** Produces the job's remaining items in the background; the same promise while it runs already. */
  run(job: BulkJobRecord): Promise<void> {
    const running = this.#running.get(job.id)
    if (running !== undefined || this.#closed) return running ?? Promise.resolve()
    const work = this.#produce(job)
      .catch((error: unknown) =>
        // Left for the sweep (or the next start): the items produced so far are marked.
        this.#options.log.error({ err: error, jobId: job.id }, 'bulk job stopped; it will be resumed'),
      )
      .finally(() => this.#running.delete(job.id))
    this.#running.set(job.id, work)
    return work
  }

  /** Resumes every job with items left (at start: whatever instance produced them before is gone). */
  async resume(): Promise<number> {
    const jobs = await this.#context().readModel.unproducedBulkJobs()
    for (const job of jobs) void this.run(job)
    if (jobs.length > 0) this.#options.log.info({ jobs: jobs.length }, 'bulk jobs resumed')
    return jobs.length
  }

  /** Picks up, every `idleAfterMs`, the jobs no producer has touched for that long. */
  startSweeping(): void {
    this.#timer = setInterval(() => {
      const idleSince = new Date(Date.now() - this.#options.idleAfterMs).toISOString()
      void this.#context()
        .readModel.unproducedBulkJobs(idleSince)
        .then((jobs) => {
          for (const job of jobs) void this.run(job)
        })
        .catch((error: unknown) => this.#options.log.warn({ err: error }, 'bulk job sweep failed'))
    }, this.#options.idleAfterMs)
    this.#timer.unref()
  }

  /** Stops producing (after the chunk in flight); the rest is resumed at the next start. */
  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    await Promise.all(this.#running.values())
  }

  async #produce(job: BulkJobRecord): Promise<void> {
    const context = this.#context()
    const principal: Principal = {
      userId: job.actorUserId,
      role: job.actorRole,
      secondFactor: job.secondFactor,
    }
    const log = this.#options.log.child({ jobId: job.id })
    const items = await context.readModel.bulkItemsToProduce(job.id)
    const perSecond = this.#options.commandsPerSecond
    for (let i = 0; i < items.length && !this.#closed; i += CHUNK) {
      const chunk = items.slice(i, i + CHUNK)
      const started = Date.now()
      const produced = await Promise.all(chunk.map((item) => this.#produceItem(job, principal, item, log)))
      await context.readModel.markBulkItems(job.id, produced)
      const dueMs = perSecond > 0 ? started + (chunk.length * 1000) / perSecond - Date.now() : 0
      if (dueMs > 0 && i + CHUNK < items.length) await new Promise((resolve) => setTimeout(resolve, dueMs))
    }
    if (items.length === 0) await context.readModel.markBulkItems(job.id, [])
    if (!this.#closed) log.info({ items: job.itemCount }, 'bulk job produced')
  }

  /** One item: skipped when decided already, refused with its code, or produced. */
  async #produceItem(
    job: BulkJobRecord,
    principal: Principal,
    item: BulkItemToProduce,
    log: FastifyBaseLogger,
  ): Promise<BulkItemProduced> {
    const context = this.#context()
    const decided = await context.readModel.getOutcome(item.requestId)
    if (decided !== undefined) return { position: item.position, eventId: decided.eventId, refused: null }
    let plan: CommandPlan<unknown>
    try {
      plan = await itemPlan(context, job, principal, item.targetId)
    } catch (error) {
      if (error instanceof ApiError && error.httpStatus < 500)
        return {
          position: item.position,
          eventId: null,
          refused: { code: error.code, message: error.message },
        }
      throw error
    }
    const resourceId = typeof plan.resourceId === 'string' ? plan.resourceId : plan.resourceId(item.requestId)
    await produceCommand(
      context,
      plan,
      { requestId: item.requestId, resourceId, idempotencyKey: null },
      job.actorUserId,
      log,
    )
    return { position: item.position, eventId: plan.eventId, refused: null }
  }
}

/** The plan of one item: what the single-item route builds, with its checks. */
function itemPlan(
  context: ApiContext,
  job: BulkJobRecord,
  principal: Principal,
  targetId: string,
): Promise<CommandPlan<unknown>> {
  const options = job.options as { reason?: string; publishAt?: string; forceMajeure?: boolean }
  if (job.kind === 'events' && job.action === 'PUBLISH')
    return publishEventPlan(context, principal, job.traceId, targetId, options.publishAt)
  if (job.kind === 'events' && job.action === 'CANCEL')
    return cancelEventPlan(context, principal, job.traceId, targetId, options.reason)
  if (job.kind === 'bookings' && job.action === 'CANCEL')
    return cancelBookingPlan(context, principal, job.traceId, targetId, {
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      forceMajeure: options.forceMajeure ?? false,
    }).then(({ plan }) => plan)
  throw new Error(`bulk job ${job.id}: unknown ${job.kind} action ${job.action}`)
}

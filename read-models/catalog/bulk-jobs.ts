/**
 * Bulk jobs in the read model's own tables (migrations/013.do.bulk-jobs-booking-search.sql): a job and its items are
 * stored in one transaction before the API answers; the API's producer marks items as it produces their
 * commands (or refuses them); an item's result is read from `request_outcomes` by its request ID, so the
 * job's progress is the log's own record of the decisions, after any restart.
 */
import type { Db, Queryable } from './db.ts'
import { isoOf } from './instants.ts'

/** What the API stores for a new job. */
export interface NewBulkJob {
  readonly id: string
  readonly kind: 'events' | 'bookings'
  /** `PUBLISH`, `CANCEL`: the command every item gets. */
  readonly action: string
  /** The job's options, the same for every item (reason, forceMajeure, publishAt). */
  readonly options: { readonly [key: string]: unknown }
  readonly actorUserId: string
  readonly actorRole: 'admin' | 'organizer'
  readonly secondFactor: boolean
  readonly fingerprint: string
  readonly traceId: string
  /** The targets (event or booking IDs) in order, each with its item's request ID. */
  readonly items: readonly { readonly targetId: string; readonly requestId: string }[]
}

/** A stored job, without its items. */
export interface BulkJobRecord extends Omit<NewBulkJob, 'items'> {
  readonly itemCount: number
  readonly createdAt: string
  /** When every item was produced or refused; null while the producer has work left. */
  readonly producedAt: string | null
}

/** An item still to produce. */
export interface BulkItemToProduce {
  readonly position: number
  readonly targetId: string
  readonly requestId: string
}

/** What producing an item came to: its event (once known), or the API's refusal. */
export interface BulkItemProduced {
  readonly position: number
  readonly eventId: string | null
  readonly refused: { readonly code: string; readonly message: string } | null
}

/** One item's result: PENDING until its request is decided (or refused by the API: REJECTED). */
export interface BulkItemView {
  readonly position: number
  readonly targetId: string
  readonly eventId: string | null
  readonly requestId: string
  readonly status: 'PENDING' | 'ACCEPTED' | 'REJECTED'
  /** `pipeline`: the event's task decided; `api`: refused before any command (nothing produced). */
  readonly decidedBy: 'pipeline' | 'api' | null
  readonly reasonCode: string | null
  readonly message: string | null
  readonly decidedAt: string | null
}

/** A job with every item's result. */
export interface BulkJobView extends BulkJobRecord {
  readonly items: readonly BulkItemView[]
}

/** The bulk-job storage of the read model. */
export interface BulkJobStore {
  /**
   * Stores a job and its items in one transaction; when a job with this ID exists already (a retried
   * request with the same Idempotency-Key), stores nothing and returns that one (`created` false).
   */
  createBulkJob(job: NewBulkJob): Promise<{ job: BulkJobRecord; created: boolean }>
  /** A job with its items' results (their request outcomes joined); undefined when unknown. */
  getBulkJob(id: string): Promise<BulkJobView | undefined>
  /**
   * The jobs with items left to produce, oldest first; with `idleSince`, only those no producer touched
   * since then (their instance died).
   */
  unproducedBulkJobs(idleSince?: string): Promise<readonly BulkJobRecord[]>
  /** A job's items not produced yet, in order. */
  bulkItemsToProduce(jobId: string): Promise<readonly BulkItemToProduce[]>
  /**
   * Marks items produced (or refused) and the job as worked on now; when no item is left, the job as
   * produced. Marking an item again changes nothing (its first refusal or event stays).
   */
  markBulkItems(jobId: string, items: readonly BulkItemProduced[]): Promise<void>
}

const JOB_COLUMNS = `id, kind, action, options, actor_user_id, actor_role, second_factor, fingerprint, trace_id,
  item_count, created_at, produced_at`

function toJob(row: Record<string, unknown>): BulkJobRecord {
  return {
    id: row.id as string,
    kind: row.kind as 'events' | 'bookings',
    action: row.action as string,
    options: (row.options as { [key: string]: unknown } | null) ?? {},
    actorUserId: row.actor_user_id as string,
    actorRole: row.actor_role as 'admin' | 'organizer',
    secondFactor: row.second_factor as boolean,
    fingerprint: row.fingerprint as string,
    traceId: row.trace_id as string,
    itemCount: Number(row.item_count),
    createdAt: isoOf(row.created_at)!,
    producedAt: isoOf(row.produced_at),
  }
}

function toItem(row: Record<string, unknown>): BulkItemView {
  const refused = row.refused_code !== null && row.refused_code !== undefined
  const decided = row.accepted !== null && row.accepted !== undefined
  return {
    position: Number(row.position),
    targetId: row.target_id as string,
    eventId: (row.event_id as string | null) ?? (row.outcome_event_id as string | null) ?? null,
    requestId: row.request_id as string,
    status: refused ? 'REJECTED' : !decided ? 'PENDING' : row.accepted ? 'ACCEPTED' : 'REJECTED',
    decidedBy: refused ? 'api' : decided ? 'pipeline' : null,
    reasonCode: refused ? (row.refused_code as string) : ((row.reason_code as string | null) ?? null),
    message: refused ? (row.refused_message as string) : ((row.message as string | null) ?? null),
    decidedAt: refused ? isoOf(row.produced_at) : isoOf(row.decided_at),
  }
}

/** {@link BulkJobStore} on the read model's Db (pg or PGlite). */
export class SqlBulkJobStore implements BulkJobStore {
  readonly #db: Db

  constructor(db: Db) {
    this.#db = db
  }

  async createBulkJob(job: NewBulkJob): Promise<{ job: BulkJobRecord; created: boolean }> {
    return this.#db.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO bulk_jobs (id, kind, action, options, actor_user_id, actor_role, second_factor, fingerprint,
           trace_id, item_count, created_at, heartbeat_at)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, now(), now())
         ON CONFLICT (id) DO NOTHING RETURNING ${JOB_COLUMNS}`,
        [
          job.id,
          job.kind,
          job.action,
          JSON.stringify(job.options),
          job.actorUserId,
          job.actorRole,
          job.secondFactor,
          job.fingerprint,
          job.traceId,
          job.items.length,
        ],
      )
      if (inserted[0] === undefined) {
        const [existing] = await tx.query(`SELECT ${JOB_COLUMNS} FROM bulk_jobs WHERE id = $1`, [job.id])
        return { job: toJob(existing!), created: false }
      }
      await tx.query(
        `INSERT INTO bulk_job_items (job_id, position, target_id, request_id)
         SELECT $1, r.position, r.target_id, r.request_id
         FROM jsonb_to_recordset($2::jsonb) AS r(position integer, target_id text, request_id text)`,
        [job.id, JSON.stringify(job.items.map((item, position) => ({ position, ...snake(item) })))],
      )
      return { job: toJob(inserted[0]), created: true }
    })
  }

  async getBulkJob(id: string): Promise<BulkJobView | undefined> {
    const [row] = await this.#db.query(`SELECT ${JOB_COLUMNS} FROM bulk_jobs WHERE id = $1`, [id])
    if (row === undefined) return undefined
    const items = await this.#db.query(
      `SELECT i.*, o.accepted, o.reason_code, o.message, o.decided_at, o.event_id AS outcome_event_id
       FROM bulk_job_items i LEFT JOIN request_outcomes o ON o.request_id = i.request_id
       WHERE i.job_id = $1 ORDER BY i.position`,
      [id],
    )
    return { ...toJob(row), items: items.map(toItem) }
  }

  async unproducedBulkJobs(idleSince?: string): Promise<readonly BulkJobRecord[]> {
    const rows = await this.#db.query(
      `SELECT ${JOB_COLUMNS} FROM bulk_jobs
       WHERE produced_at IS NULL AND ($1::timestamptz IS NULL OR heartbeat_at < $1::timestamptz)
       ORDER BY created_at, id`,
      [idleSince ?? null],
    )
    return rows.map(toJob)
  }

  async bulkItemsToProduce(jobId: string): Promise<readonly BulkItemToProduce[]> {
    const rows = await this.#db.query(
      `SELECT position, target_id, request_id FROM bulk_job_items
       WHERE job_id = $1 AND produced_at IS NULL ORDER BY position`,
      [jobId],
    )
    return rows.map((row) => ({
      position: Number(row.position),
      targetId: row.target_id as string,
      requestId: row.request_id as string,
    }))
  }

  async markBulkItems(jobId: string, items: readonly BulkItemProduced[]): Promise<void> {
    await this.#db.transaction(async (tx) => {
      if (items.length > 0)
        await tx.query(
          `UPDATE bulk_job_items i SET produced_at = now(), event_id = r.event_id,
             refused_code = r.refused_code, refused_message = r.refused_message
           FROM jsonb_to_recordset($2::jsonb) AS r(position integer, event_id text, refused_code text,
             refused_message text)
           WHERE i.job_id = $1 AND i.position = r.position AND i.produced_at IS NULL`,
          [
            jobId,
            JSON.stringify(
              items.map((item) => ({
                position: item.position,
                event_id: item.eventId,
                refused_code: item.refused?.code ?? null,
                refused_message: item.refused?.message ?? null,
              })),
            ),
          ],
        )
      await markJob(tx, jobId)
    })
  }
}

/** The job worked on now, and produced once no item is left. */
async function markJob(tx: Queryable, jobId: string): Promise<void> {
  await tx.query(
    `UPDATE bulk_jobs SET heartbeat_at = now(),
       produced_at = CASE WHEN NOT EXISTS (SELECT 1 FROM bulk_job_items WHERE job_id = $1 AND produced_at IS NULL)
                     THEN now() END
     WHERE id = $1 AND produced_at IS NULL`,
    [jobId],
  )
}

const snake = (item: { targetId: string; requestId: string }) => ({
  target_id: item.targetId,
  request_id: item.requestId,
})

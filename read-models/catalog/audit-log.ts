/**
 * The durable audit log (owned table `audit_log`, migration 011): one append-only row per admin request and
 * per organizer write. A command's `after` is its decided outcome, joined from `request_outcomes` when read,
 * so a record never changes once written and still shows the decision once it lands.
 */
import type { Queryable } from './db.ts'
import { isoOf } from './instants.ts'
import type { Page } from './views.ts'

/** What the API records for one audited request. */
export interface AuditEntry {
  readonly actorUserId: string
  readonly actorRole: 'admin' | 'organizer'
  readonly secondFactor: boolean
  /** `METHOD /route/:pattern`, as Fastify names the route. */
  readonly action: string
  readonly targetType: string | null
  readonly targetId: string | null
  /** The command's request ID, when the request produced one. */
  readonly requestId: string | null
  readonly traceId: string
  readonly status: number
  readonly before: unknown
  /** The state after a direct write (categories); commands leave it null: their outcome is the after. */
  readonly after: unknown
  /** The route parameters, query and body as validated (no secrets are ever in them). */
  readonly input: unknown
}

/** A recorded entry, with the decided outcome of its command when one is projected. */
export interface AuditRecord extends AuditEntry {
  readonly id: number
  readonly at: string
  readonly outcome: {
    readonly accepted: boolean
    readonly reasonCode: string | null
    readonly message: string
    readonly resourceId: string
    readonly decidedAt: string
  } | null
}

export interface AuditQuery {
  readonly actor?: string
  readonly action?: string
  readonly target?: string
  readonly from?: string
  readonly to?: string
  readonly page: number
  readonly size: number
}

export async function appendAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (at, actor_user_id, actor_role, second_factor, action, target_type, target_id,
       request_id, trace_id, status, before, after, input)
     VALUES (now(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb)`,
    [
      entry.actorUserId,
      entry.actorRole,
      entry.secondFactor,
      entry.action,
      entry.targetType,
      entry.targetId,
      entry.requestId,
      entry.traceId,
      entry.status,
      jsonOrNull(entry.before),
      jsonOrNull(entry.after),
      jsonOrNull(entry.input),
    ],
  )
}

/** Audit records matching every given filter, newest first. */
export async function listAudit(db: Queryable, query: AuditQuery): Promise<Page<AuditRecord>> {
  const where: string[] = []
  const params: unknown[] = []
  const add = (clause: (n: number) => string, value: unknown): void => {
    params.push(value)
    where.push(clause(params.length))
  }
  if (query.actor !== undefined) add((n) => `a.actor_user_id = $${n}`, query.actor)
  if (query.action !== undefined) add((n) => `a.action = $${n}`, query.action)
  if (query.target !== undefined) add((n) => `a.target_id = $${n}`, query.target)
  if (query.from !== undefined) add((n) => `a.at >= $${n}::timestamptz`, query.from)
  if (query.to !== undefined) add((n) => `a.at < $${n}::timestamptz`, query.to)
  const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`
  const [count] = await db.query(`SELECT count(*)::int AS total FROM audit_log a ${filter}`, params)
  const rows = await db.query(
    `SELECT a.*, o.accepted, o.reason_code, o.message, o.resource_id, o.decided_at
     FROM audit_log a LEFT JOIN request_outcomes o ON o.request_id = a.request_id
     ${filter}
     ORDER BY a.at DESC, a.id DESC
     LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, query.size, query.page * query.size],
  )
  return {
    items: rows.map(auditRecord),
    page: query.page,
    size: query.size,
    total: (count?.total as number | undefined) ?? 0,
  }
}

function auditRecord(row: { [column: string]: unknown }): AuditRecord {
  return {
    id: Number(row.id),
    at: isoOf(row.at)!,
    actorUserId: row.actor_user_id as string,
    actorRole: row.actor_role as 'admin' | 'organizer',
    secondFactor: row.second_factor as boolean,
    action: row.action as string,
    targetType: (row.target_type as string | null) ?? null,
    targetId: (row.target_id as string | null) ?? null,
    requestId: (row.request_id as string | null) ?? null,
    traceId: row.trace_id as string,
    status: row.status as number,
    before: row.before ?? null,
    after: row.after ?? null,
    input: row.input ?? null,
    outcome:
      row.accepted === null || row.accepted === undefined
        ? null
        : {
            accepted: row.accepted as boolean,
            reasonCode: (row.reason_code as string | null) ?? null,
            message: row.message as string,
            resourceId: row.resource_id as string,
            decidedAt: isoOf(row.decided_at)!,
          },
  }
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value)
}

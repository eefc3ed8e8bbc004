/**
 * The catalog's rebuild (`npm run projections:rebuild`, infra/rebuild-projections.ts): replays the domain
 * topics from the start into a fresh schema, then swaps it in for the live one.
 *
 *   1. drop `<schema>_rebuild` if a previous run left it, migrate it from scratch (Postgrator);
 *   2. project every record of the read-model topics into it until caught up (a fresh Kafka consumer
 *      group, or the embedded log from offset 0);
 *   3. in one transaction: lock the live schema's owned tables (categories, their audit, favorites, the
 *      audit log, check-in devices, bulk jobs), copy them over, rename live → `<schema>_old`, `<schema>_rebuild` →
 *      live; then drop the old schema.
 *
 * The offsets land in the fresh schema under the live projection's name (`catalog`), so a service started
 * after the swap resumes exactly where the rebuild stopped. Run it with the service stopped: in embedded
 * mode the log and PGlite are single-process (the log's LOCK file refuses a second process); on Kafka a
 * running projection keeps its in-memory positions across the swap and would skip what it applied to
 * the old schema meanwhile (reads keep working during the rebuild; restart the instances after it).
 */
import { randomUUID } from 'node:crypto'
import pino, { type Logger } from 'pino'
import { projectionOf } from '../../streams/index.ts'
import { checkIdentifier, type Db } from './db.ts'
import { migrate } from './migrate.ts'
import { CATALOG_PROJECTION, catalogTopics } from './catalog-topics.ts'
import { ReadModelSink } from './projection-sink.ts'
import type { ReadModelSerdes, ReadModelSource } from './read-model.ts'

export interface RebuildReport {
  readonly schema: string
  /** Rows per projected table after the rebuild. */
  readonly rows: Readonly<Record<string, number>>
  readonly durationMs: number
}

const PROJECTED = [
  'events',
  'event_price_options',
  'event_promo_codes',
  'bookings',
  'waitlist_entries',
  'request_outcomes',
  'reviews',
] as const

/**
 * Rebuilds the read model in `live.schema` from the topics (see the file comment). `live` is the Db of
 * the live schema (it may not exist yet); it stays open and usable afterwards.
 */
export async function rebuildReadModel(
  live: Db,
  options: {
    readonly serdes: ReadModelSerdes
    readonly source: ReadModelSource
    readonly logger?: Logger
    readonly timeoutMs?: number
  },
): Promise<RebuildReport> {
  const started = performance.now()
  const schema = live.schema
  const fresh = checkIdentifier(`${schema}_rebuild`)
  const old = checkIdentifier(`${schema}_old`)
  const logger = options.logger ?? pino({ level: 'silent' })
  await live.exec(`DROP SCHEMA IF EXISTS ${fresh} CASCADE`)
  const target = live.forSchema(fresh)
  try {
    await migrate(target)
    logger.info({ schema: fresh }, 'rebuild: fresh schema migrated, replaying')
    const sink = new ReadModelSink({ db: target, serdes: options.serdes, logger })
    const base = { name: CATALOG_PROJECTION, topics: catalogTopics(options.serdes.topics), sink, logger }
    const { source } = options
    const runner = projectionOf(
      'log' in source
        ? source
        : { ...source, groupId: `${source.groupId ?? 'backend-event-catalog'}-rebuild-${randomUUID()}` },
      base,
    )
    await runner.start()
    try {
      await runner.caughtUp(options.timeoutMs ?? 600_000)
    } finally {
      await runner.close()
    }
    const rows: Record<string, number> = {}
    for (const table of PROJECTED) {
      const [row] = await target.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${table}`)
      rows[table] = Number(row?.n ?? 0)
    }
    await swap(live, schema, fresh, old)
    logger.info({ schema, rows }, 'rebuild: swapped in')
    return { schema, rows, durationMs: Math.round(performance.now() - started) }
  } finally {
    await target.close()
  }
}

/**
 * The owned tables: written by the API, in no topic, so a rebuild carries them over, in this order (a
 * category's parent first). `serial`: its id sequence continues after the copied rows. A live schema
 * migrated before a table existed (check-in devices: migration 010, the audit log: 011, bulk jobs: 013) has none to carry.
 */
const OWNED_TABLES: readonly {
  readonly table: string
  readonly order?: string
  readonly serial?: boolean
}[] = [
  { table: 'categories', order: 'level' },
  { table: 'category_audit', serial: true },
  { table: 'favorites' },
  { table: 'check_in_devices' },
  { table: 'audit_log', order: 'id', serial: true },
  { table: 'bulk_jobs' },
  { table: 'bulk_job_items' },
]

async function swap(live: Db, schema: string, fresh: string, old: string): Promise<void> {
  await live.transaction(async (tx) => {
    const [exists] = await tx.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])
    if (exists !== undefined) {
      const present = new Set(
        (
          await tx.query(
            'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)',
            [schema, OWNED_TABLES.map((t) => t.table)],
          )
        ).map((row) => row.table_name as string),
      )
      const owned = OWNED_TABLES.filter((t) => present.has(t.table))
      if (owned.length > 0)
        // Carried over with writers locked out until the swap commits.
        await tx.exec(`
          LOCK TABLE ${owned.map((t) => `${schema}.${t.table}`).join(', ')} IN EXCLUSIVE MODE;
          ${owned
            .map(
              ({ table, order, serial }) =>
                `INSERT INTO ${fresh}.${table} SELECT * FROM ${schema}.${table}${order ? ` ORDER BY ${order}` : ''};` +
                (serial
                  ? ` SELECT setval(pg_get_serial_sequence('${fresh}.${table}', 'id'), GREATEST((SELECT max(id) FROM ${fresh}.${table}), 1));`
                  : ''),
            )
            .join('\n')}
        `)
      await tx.exec(`DROP SCHEMA IF EXISTS ${old} CASCADE; ALTER SCHEMA ${schema} RENAME TO ${old}`)
    }
    await tx.exec(`ALTER SCHEMA ${fresh} RENAME TO ${schema}`)
  })
  await live.exec(`DROP SCHEMA IF EXISTS ${old} CASCADE`)
}

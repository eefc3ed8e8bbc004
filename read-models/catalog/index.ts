/**
 * The catalog read model (PostgreSQL, PGlite embedded): the API opens it with `openReadModel`, the service
 * starts its projection with `startReadModelProjection`, the API reads through the `ReadModel` interface
 * (read-model.ts, its views in views.ts), and `rebuildCatalog` replays the topics into a fresh schema.
 */
import type { Logger } from 'pino'
import { projectionOf, type ProjectionRunner } from '../../streams/index.ts'
import { openDb } from './db.ts'
import { migrate } from './migrate.ts'
import { CATALOG_PROJECTION, catalogTopics } from './catalog-topics.ts'
import type { ReadModel, ReadModelOptions, ReadModelSerdes, ReadModelSource } from './read-model.ts'
import { rebuildReadModel, type RebuildReport } from './rebuild.ts'
import { SqlReadModel } from './sql-read-model.ts'

export type * from './read-model.ts'
export type * from './views.ts'
export type * from './review-views.ts'
export type * from './payment-views.ts'
export type { AuditEntry, AuditQuery, AuditRecord } from './audit-log.ts'
export type * from './check-in-devices.ts'
export type * from './bulk-jobs.ts'
export { MAX_DEVICES_PER_EVENT } from './check-in-devices.ts'
export { MAX_EXPORT_ROWS, type BookingSearch } from './booking-queries.ts'
export { CategoryError, ReadModelError, SearchError } from './errors.ts'
export { CATALOG_PROJECTION, catalogTopics, READ_MODEL_TOPICS } from './catalog-topics.ts'
export type { RebuildReport } from './rebuild.ts'

export const DEFAULT_SCHEMA = 'read_model'

/**
 * Opens the read model and brings its schema up to date (migrations run under an advisory lock, so
 * several instances may start at once): PostgreSQL through `pg` when `databaseUrl` is set, PGlite in
 * `${dataDir}/pg` when `dataDir` is, in-memory PGlite otherwise (tests).
 *
 * @example
 *   const model = await openReadModel({ databaseUrl: config.databaseUrl })
 */
export async function openReadModel(
  options: ReadModelOptions & { logger?: Logger } = {},
): Promise<ReadModel> {
  const db = await openDb({
    schema: options.schema ?? DEFAULT_SCHEMA,
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
  })
  try {
    await migrate(db)
  } catch (error) {
    await db.close()
    throw error
  }
  return new SqlReadModel(db, options.logger)
}

/**
 * Starts following the domain topics into `model`: on the embedded log, or on Kafka in the consumer group
 * `groupId` (default `backend-event-catalog`; instances share the partitions, positions come from the
 * database). Close the returned runner before the model.
 */
export async function startReadModelProjection(options: {
  readonly model: ReadModel
  readonly serdes: ReadModelSerdes
  readonly source: ReadModelSource
  readonly logger?: Logger
}): Promise<ProjectionRunner> {
  const sink = options.model.projectionSink(options.serdes)
  const base = {
    name: CATALOG_PROJECTION,
    topics: catalogTopics(options.serdes.topics),
    sink,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  }
  const { source } = options
  const runner = projectionOf(
    'log' in source ? source : { ...source, groupId: source.groupId ?? 'backend-event-catalog' },
    base,
  )
  await runner.start()
  return runner
}

/**
 * Rebuilds the catalog in `options.schema` from the topics of `source` (read-models/catalog/rebuild.ts has
 * the steps): a fresh schema is migrated, the topics replayed into it from the start, and it is swapped in
 * for the live one with the owned tables (categories, favorites, check-in
 * devices, the audit log, bulk jobs) carried over. Run it with the service stopped.
 */
export async function rebuildCatalog(
  options: ReadModelOptions & {
    readonly serdes: ReadModelSerdes
    readonly source: ReadModelSource
    readonly logger?: Logger
    readonly timeoutMs?: number
  },
): Promise<RebuildReport> {
  const db = await openDb({
    schema: options.schema ?? DEFAULT_SCHEMA,
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  })
  try {
    return await rebuildReadModel(db, options)
  } finally {
    await db.close()
  }
}

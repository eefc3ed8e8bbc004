import { fileURLToPath } from 'node:url'
import Postgrator from 'postgrator'
import { checkIdentifier, type Db } from './db.ts'

const MIGRATIONS = fileURLToPath(new URL('./migrations/*.sql', import.meta.url))

/** Any fixed number: the advisory lock that serializes migrations across instances. */
const MIGRATION_LOCK = 4_004_004

/**
 * Brings `schema` (default: the Db's) to the latest migration with Postgrator, on pg or PGlite alike:
 * Postgrator only needs `execQuery` / `execSqlScript`, which run here on one transaction. The whole
 * migration is one transaction (PostgreSQL DDL is transactional) under an advisory lock, so concurrent
 * instances wait for each other and a failed migration leaves nothing half-applied. The version table is
 * `<schema>.schemaversion`. Returns the versions applied now.
 */
export async function migrate(db: Db, schema: string = db.schema): Promise<number[]> {
  const target = checkIdentifier(schema)
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${target}; SET LOCAL search_path TO ${target}, public`)
    const postgrator = new Postgrator({
      driver: 'pg',
      migrationPattern: MIGRATIONS,
      schemaTable: `${target}.schemaversion`,
      execQuery: async (sql) => ({ rows: await tx.query(sql) }),
      execSqlScript: async (sql) => tx.exec(sql),
    })
    const applied = await postgrator.migrate()
    return applied.map((m) => m.version)
  })
}

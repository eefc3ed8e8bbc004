import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ClickHouseClient } from '@clickhouse/client'
import { RuntimeError } from '../../streams/index.ts'

/** The folder of the numbered `.sql` migrations (`0001_facts.sql`, …). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url))

/** The analytics database when none is configured. */
export const DEFAULT_ANALYTICS_DATABASE = 'aquastream_analytics'

/** One numbered migration file. */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
  readonly checksum: string
}

/** What `migrate` did. */
export interface MigrationReport {
  readonly applied: readonly number[]
  readonly skipped: readonly number[]
}

const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Checks a database name before it is spliced into SQL (identifiers cannot be query parameters in DDL). */
export function checkDatabaseName(database: string): string {
  if (!DATABASE_NAME.test(database))
    throw new RuntimeError('INVALID_CONFIG', `analytics database "${database}" must match ${DATABASE_NAME}`)
  return database
}

/** The migration files of `dir`, ordered by their number (`NNNN_name.sql`). */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d+)_([a-z0-9_]+)\.sql$/.exec(file)
      if (match === null)
        throw new RuntimeError('INVALID_CONFIG', `migration file ${file} must be named NNNN_name.sql`)
      const sql = readFileSync(`${dir}/${file}`, 'utf8')
      return {
        version: Number(match[1]),
        name: match[2]!,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      }
    })
    .sort((a, b) => a.version - b.version)
}

/** The statements of a migration: `;` at a line end separates them; `--` comment lines are dropped. */
export function statementsOf(sql: string, database: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '')
    .map((statement) => statement.replaceAll('{{database}}', database))
}

/**
 * Brings the analytics database up to the newest migration: creates the database and the
 * `schema_migrations` table, then runs every migration not recorded there, in order, and records it.
 * Idempotent: a second run applies nothing. Every statement is itself idempotent (`IF NOT EXISTS`), so a
 * run interrupted inside a migration simply runs it again.
 *
 * Throws `INVALID_CONFIG` when an applied migration's file changed since (migrations are append-only:
 * add a new file instead) or the database name is not a plain identifier.
 */
export async function migrate(
  client: ClickHouseClient,
  options: { database?: string; dir?: string } = {},
): Promise<MigrationReport> {
  const database = checkDatabaseName(options.database ?? DEFAULT_ANALYTICS_DATABASE)
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` })
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = ReplacingMergeTree ORDER BY version`,
  })
  const rows = await (
    await client.query({
      query: `SELECT version, any(checksum) AS checksum FROM ${database}.schema_migrations GROUP BY version`,
      format: 'JSONEachRow',
    })
  ).json<{ version: number | string; checksum: string }>()
  const applied = new Map(rows.map((r) => [Number(r.version), r.checksum]))
  const report = { applied: [] as number[], skipped: [] as number[] }
  for (const migration of loadMigrations(options.dir)) {
    const checksum = applied.get(migration.version)
    if (checksum !== undefined) {
      if (checksum !== migration.checksum)
        throw new RuntimeError(
          'INVALID_CONFIG',
          `analytics migration ${migration.version}_${migration.name} changed after it was applied: drop the analytics database (embedded mode: delete DATA_DIR/clickhouse) and the sink rebuilds it from the topics`,
          { details: { version: migration.version } },
        )
      report.skipped.push(migration.version)
      continue
    }
    for (const statement of statementsOf(migration.sql, database)) await client.command({ query: statement })
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name, checksum: migration.checksum }],
      format: 'JSONEachRow',
    })
    report.applied.push(migration.version)
  }
  return report
}

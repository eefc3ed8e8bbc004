import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import type pg from 'pg'
import { PgliteStatements } from './pglite-statements.ts'

/** How one statement runs. */
export interface QueryOptions {
  /**
   * Plan the statement for each run's parameters. On PGlite every other statement is prepared once and
   * may keep the generic plan Postgres picks after five runs (pglite-statements.ts); a statement whose best
   * plan depends on its values (the catalog search: full-text and trigram filters, any word) asks for
   * this. PostgreSQL over `pg` always plans per run (unnamed statements).
   */
  readonly planPerRun?: boolean
}

/** What a query or a transaction can do: parameterized SQL only (`$1`, `$2`, …). */
export interface Queryable {
  /** Runs one parameterized statement and returns its rows. */
  query<R = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<R[]>
}

/** Inside `Db.transaction`. */
export interface Transaction extends Queryable {
  /** Runs a trusted multi-statement script without parameters (migrations only). */
  exec(script: string): Promise<void>
}

/**
 * The one database seam of the read model: PostgreSQL through a `pg` Pool, or PGlite in-process. Both
 * answer `bigint` columns as JS numbers (money in kopecks, offsets, versions: all far below 2^53) and
 * timestamps as `Date`.
 */
export interface Db extends Queryable {
  readonly engine: 'pg' | 'pglite'
  /** The schema the tables live in (first on the search path). */
  readonly schema: string
  /** Runs `fn` in one transaction: commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>
  /** Runs a trusted multi-statement script without parameters (migrations only). */
  exec(script: string): Promise<void>
  /**
   * The same database seen through another schema (rebuilds write a fresh schema next to the live one):
   * a second pool on pg, the same PGlite instance with the search path set per statement. Closing the
   * view never closes the PGlite instance.
   */
  forSchema(schema: string): Db
  close(): Promise<void>
}

export interface OpenDbOptions {
  readonly databaseUrl?: string
  readonly dataDir?: string
  readonly schema: string
  readonly poolSize?: number
  /**
   * PGlite only: how many statement texts are kept prepared (default MAX_PREPARED, 256); 0 runs every
   * statement through PGlite's own `query` (the benchmark's baseline).
   */
  readonly preparedStatements?: number
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/

/** A schema name safe to splice into DDL (identifiers cannot be bind parameters). */
export function checkIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new TypeError(`invalid SQL identifier ${JSON.stringify(name)}`)
  return name
}

const INT8_OID = 20

/** The `pg` module, loaded when a database URL is configured (the embedded default never needs it). */
type PgModule = typeof pg

class PgDb implements Db {
  readonly engine = 'pg' as const
  readonly schema: string
  readonly #pg: PgModule
  readonly #pool: pg.Pool
  readonly #url: string
  readonly #poolSize: number

  constructor(pgModule: PgModule, url: string, schema: string, poolSize: number) {
    this.schema = schema
    this.#pg = pgModule
    this.#url = url
    this.#poolSize = poolSize
    const { types } = pgModule
    this.#pool = new pgModule.Pool({
      connectionString: url,
      max: poolSize,
      // Every connection resolves unqualified names in our schema (pg_trgm's operators live in public).
      options: `-c search_path=${schema},public`,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID
            ? (value: string) => Number(value)
            : types.getTypeParser(oid, format ?? 'text')) as typeof types.getTypeParser,
      },
    })
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.#pool.on('error', () => undefined)
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const result = await this.#pool.query(sql, params as unknown[])
    return result.rows as R[]
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      const tx: Transaction = {
        query: async <R>(sql: string, params: readonly unknown[] = []) =>
          (await client.query(sql, params as unknown[])).rows as R[],
        exec: async (script: string) => {
          await client.query(script)
        },
      }
      const result = await fn(tx)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      client.release()
    }
  }

  async exec(script: string): Promise<void> {
    await this.#pool.query(script)
  }

  forSchema(schema: string): Db {
    return new PgDb(this.#pg, this.#url, checkIdentifier(schema), this.#poolSize)
  }

  async close(): Promise<void> {
    await this.#pool.end()
  }
}

class PgliteDb implements Db {
  readonly engine = 'pglite' as const
  readonly schema: string
  readonly #db: PGlite
  /** A view on another schema than the session's: every statement runs in a transaction setting it. */
  readonly #view: boolean
  /** Shared with the instance's views. */
  readonly #statements: PgliteStatements
  readonly #checkpointer: Checkpointer | undefined

  constructor(
    db: PGlite,
    schema: string,
    statements: PgliteStatements,
    view = false,
    checkpointer?: Checkpointer,
  ) {
    this.#db = db
    this.schema = schema
    this.#statements = statements
    this.#view = view
    this.#checkpointer = checkpointer
  }

  async query<R>(sql: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<R[]> {
    if (this.#view) return this.transaction((tx) => tx.query<R>(sql, params, options))
    return this.#statements.run<R>(this.schema, sql, params, options?.planPerRun === true)
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.#db.transaction(async (t) => {
      if (this.#view) await t.exec(`SET LOCAL search_path TO ${this.schema}, public`)
      return fn({
        query: <R>(sql: string, params: readonly unknown[] = [], options?: QueryOptions) =>
          this.#statements.run<R>(this.schema, sql, params, options?.planPerRun === true, t),
        exec: async (script: string) => {
          this.#statements.invalidate()
          await t.exec(script)
        },
      })
    })
  }

  async exec(script: string): Promise<void> {
    if (this.#view) {
      await this.transaction((tx) => tx.exec(script))
      return
    }
    this.#statements.invalidate()
    await this.#db.exec(script)
  }

  forSchema(schema: string): Db {
    return new PgliteDb(this.#db, checkIdentifier(schema), this.#statements, true)
  }

  async close(): Promise<void> {
    await this.#checkpointer?.stop()
    if (!this.#view) await this.#db.close()
  }
}

/**
 * PGlite runs Postgres as one standalone backend: no checkpointer process, and a standalone backend never
 * checkpoints on its own however much WAL it writes (only at a clean close). After a SIGKILL the next open
 * replays every WAL record since the last checkpoint: 113 MB and 11 to 14 s after 100,000 bookings. So an
 * on-disk PGlite checkpoints itself once CHECKPOINT_WAL_BYTES of WAL have been written since the last one,
 * which bounds that replay. Full-page images are off: they guard against pages torn by a power loss,
 * which PGlite's `-F` (no fsync) already leaves to the OS; a killed process cannot tear a page.
 */
const CHECKPOINT_WAL_BYTES = 8 * 2 ** 20
const CHECKPOINT_CHECK_MS = 2000
/**
 * A smaller buffer pool than PGlite's 128 MB: Postgres's pool is WASM memory that a start writes over
 * whole, and on a machine where touching fresh memory costs 2.6 ms a MB that was 0.45 s of every start
 * (bench/RESULTS.md, "Restart after SIGKILL"). Pages the pool does not hold are read from the OS's page
 * cache through PGlite's file system: steady-state bookings ran as fast with 32 MB as with 128.
 */
const PGLITE_ON_DISK_PARAMS = ['-c', 'full_page_writes=off', '-c', 'shared_buffers=32MB']

class Checkpointer {
  readonly #db: PGlite
  readonly #timer: NodeJS.Timeout
  #running: Promise<void> | undefined

  constructor(db: PGlite) {
    this.#db = db
    this.#timer = setInterval(() => {
      this.#running ??= this.#check().finally(() => (this.#running = undefined))
    }, CHECKPOINT_CHECK_MS)
    this.#timer.unref()
  }

  async #check(): Promise<void> {
    const { rows } = await this.#db
      .query<{ bytes: number }>(
        'SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::float8 AS bytes FROM pg_control_checkpoint()',
      )
      .catch(() => ({ rows: [] }))
    if ((rows[0]?.bytes ?? 0) >= CHECKPOINT_WAL_BYTES)
      await this.#db.exec('CHECKPOINT').catch(() => undefined)
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await this.#running
  }
}

/**
 * A new PGlite cluster (in memory, or in a new data folder) starts from a template: initdb costs seconds of
 * CPU (7.5 s here; 25 s when the cores are busy), unpacking a dump of a fresh cluster a fifth of that, and
 * the tests open hundreds of databases. The template is made once per PGlite version and kept in node_modules/.cache
 * (written to a temporary name and renamed, so concurrent processes never read half of one).
 */
const MODULES = join(dirname(fileURLToPath(import.meta.url)), '../../node_modules')
let template: Promise<Blob | undefined> | undefined

function clusterTemplate(): Promise<Blob | undefined> {
  template ??= (async () => {
    let path: string
    try {
      const { version } = JSON.parse(
        readFileSync(join(MODULES, '@electric-sql/pglite/package.json'), 'utf8'),
      ) as {
        version: string
      }
      path = join(MODULES, '.cache/backend-event', `pglite-${version}-cluster.tar`)
    } catch {
      return undefined // not installed from npm as usual: initdb every time
    }
    try {
      return new Blob([readFileSync(path)])
    } catch {
      // not made yet
    }
    const db = await PGlite.create({ extensions: { pg_trgm } })
    await db.exec('CHECKPOINT')
    const dump = await db.dumpDataDir('none')
    await db.close()
    try {
      mkdirSync(dirname(path), { recursive: true })
      const tmp = `${path}.${process.pid}`
      writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()))
      renameSync(tmp, path)
    } catch {
      // a read-only node_modules: this process still reuses the dump
    }
    return dump
  })()
  return template
}

/**
 * Opens the database: `pg` on `databaseUrl`, else PGlite in `${dataDir}/pg`, else in-memory PGlite.
 * The schema and its tables come from `migrate` (migrate.ts).
 */
export async function openDb(options: OpenDbOptions): Promise<Db> {
  const schema = checkIdentifier(options.schema)
  let db: Db
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    const { default: pgModule } = await import('pg')
    db = new PgDb(pgModule, options.databaseUrl, schema, options.poolSize ?? 20)
  } else {
    let dataDir: string | undefined
    if (options.dataDir !== undefined) {
      dataDir = join(options.dataDir, 'pg')
      mkdirSync(dataDir, { recursive: true })
    }
    // A new cluster (in memory, or a data folder without one) is unpacked from the template.
    const isNew = dataDir === undefined || !existsSync(join(dataDir, 'PG_VERSION'))
    const loadDataDir = isNew ? await clusterTemplate() : undefined
    const lite = await PGlite.create({
      ...(dataDir === undefined
        ? {}
        : { dataDir, startParams: [...PGlite.defaultStartParams, ...PGLITE_ON_DISK_PARAMS] }),
      ...(loadDataDir === undefined ? {} : { loadDataDir }),
      extensions: { pg_trgm },
      parsers: { [INT8_OID]: (value: string) => Number(value) },
    })
    await lite.exec(`SET search_path TO ${schema}, public`)
    const checkpointer = dataDir === undefined ? undefined : new Checkpointer(lite)
    db = new PgliteDb(
      lite,
      schema,
      new PgliteStatements(lite, options.preparedStatements),
      false,
      checkpointer,
    )
  }
  return db
}

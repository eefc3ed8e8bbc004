import { type PGlite, type Transaction, parse, protocol } from '@electric-sql/pglite'

/**
 * Named prepared statements on one PGlite instance. PGlite's own `query` parses, analyzes and plans every
 * statement every time, in five protocol round trips plus a Sync; the catalog projection and the booking
 * reads run the same few dozen statements all day. Here a statement is parsed once per text (Parse +
 * Describe statement), then each run is Bind + Execute + Sync sent as one protocol call, its rows shaped by
 * the row description kept from the Describe: 0.30× of the time for an event's details (bench/RESULTS.md,
 * `bench/embedded-db.ts`). Postgres may keep a prepared statement's generic plan after five runs; a
 * statement whose best plan depends on its values asks for `planPerRun` and is not prepared.
 *
 * Every run holds PGlite's query mutex, as PGlite's own statements do, and outside a transaction its
 * transaction mutex too. A script run through `exec` may have changed tables (migrations, a rebuild's
 * swap), so the next run first drops every prepared statement. At most `max` texts are kept (256 unless
 * told; 0 prepares none); any text past that runs through PGlite's `query`.
 */
export const MAX_PREPARED = 256

interface Prepared {
  readonly name: string
  readonly paramTypes: readonly number[]
  /** The Describe's row description, or none for a statement that returns no rows. */
  readonly head: readonly Message[]
}

type Message = Awaited<ReturnType<PGlite['execProtocol']>>['messages'][number]

export class PgliteStatements {
  readonly #lite: PGlite
  readonly #max: number
  readonly #prepared = new Map<string, Prepared>()
  #named = 0
  #stale = false

  constructor(lite: PGlite, max = MAX_PREPARED) {
    this.#lite = lite
    this.#max = max
  }

  /** After a script: tables may have changed shape under the prepared plans. */
  invalidate(): void {
    this.#stale = true
  }

  /**
   * Runs one parameterized statement with `schema` first on the search path, in `tx` when given (its
   * transaction mutex is held then). The same text in two schemas is two statements. `planPerRun`: not
   * prepared, through PGlite's `query` (db.ts, `QueryOptions`).
   */
  async run<R>(
    schema: string,
    sql: string,
    params: readonly unknown[],
    planPerRun: boolean,
    tx?: Transaction,
  ): Promise<R[]> {
    const key = `${schema}\0${sql}`
    // Stale: every statement is dropped before the next is prepared.
    const room = this.#stale ? this.#max : this.#max - this.#prepared.size
    if (planPerRun || (!this.#prepared.has(key) && room <= 0))
      return (await (tx ?? this.#lite).query<R>(sql, params as unknown[])).rows
    const exclusive = (): Promise<R[]> =>
      this.#lite._runExclusiveQuery(() => this.#execute<R>(key, sql, params, tx !== undefined))
    return tx === undefined ? this.#lite._runExclusiveTransaction(exclusive) : exclusive()
  }

  async #execute<R>(
    key: string,
    sql: string,
    params: readonly unknown[],
    inTransaction: boolean,
  ): Promise<R[]> {
    try {
      const statement = await this.#statement(key, sql)
      const values = params.map((value, i) => {
        if (value === null || value === undefined) return null
        const serialize = this.#lite.serializers[statement.paramTypes[i] ?? 0]
        return serialize === undefined ? String(value) : serialize(value)
      })
      const { messages } = await this.#lite.execProtocol(
        Buffer.concat([
          protocol.serialize.bind({ statement: statement.name, values }),
          protocol.serialize.execute({}),
          protocol.serialize.sync(),
        ]),
        { syncToFs: !inTransaction },
      )
      return parse.parseResults([...statement.head, ...messages], this.#lite.parsers)[0]!.rows as R[]
    } catch (error) {
      if (error instanceof Error) Object.assign(error, { query: sql })
      throw error
    }
  }

  async #statement(key: string, sql: string): Promise<Prepared> {
    if (this.#stale) {
      await this.#lite.execProtocol(protocol.serialize.query('DEALLOCATE ALL'), { syncToFs: false })
      this.#prepared.clear()
      this.#stale = false
    }
    const known = this.#prepared.get(key)
    if (known !== undefined) return known
    const name = `be_${++this.#named}`
    const { messages } = await this.#lite.execProtocol(
      Buffer.concat([
        protocol.serialize.parse({ name, text: sql }),
        protocol.serialize.describe({ type: 'S', name }),
        protocol.serialize.sync(),
      ]),
      { syncToFs: false },
    )
    const statement: Prepared = {
      name,
      paramTypes: parse.parseDescribeStatementResults(messages),
      head: messages.filter((message) => message.name === 'rowDescription'),
    }
    this.#prepared.set(key, statement)
    return statement
  }
}

import type { Db, Transaction } from './db.ts'

const ROLLBACK = Symbol('rollback')

/**
 * `db` with every transaction rolled back once its function has resolved (the function's result is still
 * returned); a query outside a transaction runs in one of its own. For rehearsals: the statements run and
 * leave nothing (`ReadModel.rehearse`). Scripts and other schemas are refused; closing it closes nothing.
 */
export function rollingBack(db: Db): Db {
  const view: Db = {
    engine: db.engine,
    schema: db.schema,
    async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      let result: { value: T } | undefined
      try {
        await db.transaction(async (tx) => {
          result = { value: await fn({ query: tx.query.bind(tx), exec: () => view.exec('') }) }
          throw ROLLBACK
        })
      } catch (error) {
        if (error !== ROLLBACK) throw error
      }
      return result!.value
    },
    query: (sql, params, options) => view.transaction((tx) => tx.query(sql, params, options)),
    exec: () => Promise.reject(new Error('a rolled-back view of the database runs no scripts')),
    forSchema: () => {
      throw new Error('a rolled-back view of the database has no other schemas')
    },
    close: async () => undefined,
  }
  return view
}

// The embedded database's prepared statements (read-models/catalog/pglite-statements.ts): each text is
// parsed once and answers exactly as PGlite's own `query` would, through errors, transactions, schema
// changes, schema views and more texts than are kept.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { openDb, type Db } from '../../../read-models/catalog/db.ts'

const prepared = async (db: Db): Promise<number> =>
  Number((await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM pg_prepared_statements'))[0]?.n)

async function withDb(t: Test, fn: (db: Db) => Promise<void>): Promise<void> {
  const db = await openDb({ schema: 'stmts' })
  t.teardown(() => db.close())
  await db.exec(`CREATE SCHEMA IF NOT EXISTS stmts;
    CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, price bigint, tags text[], meta jsonb,
      at timestamptz, ok boolean)`)
  await fn(db)
}

t.test('rows, types and parameters come back as from an unprepared query', (t) =>
  withDb(t, async (db) => {
    const at = new Date('2026-12-06T08:00:00.123Z')
    await db.query('INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      1,
      'kayak',
      2 ** 40,
      ['a', 'b,c'],
      { seats: 3, nested: { x: [1, 2] } },
      at,
      true,
    ])
    await db.query('INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      2,
      'raft',
      null,
      null,
      null,
      null,
      false,
    ])
    const select = 'SELECT id, name, price, tags, meta, at, ok FROM items WHERE id = ANY($1) ORDER BY id'
    for (let round = 0; round < 3; round++) {
      const rows = await db.query(select, [[1, 2]])
      t.same(rows, [
        {
          id: 1,
          name: 'kayak',
          price: 2 ** 40,
          tags: ['a', 'b,c'],
          meta: { seats: 3, nested: { x: [1, 2] } },
          at,
          ok: true,
        },
        { id: 2, name: 'raft', price: null, tags: null, meta: null, at: null, ok: false },
      ])
    }
    t.same(
      await db.query('UPDATE items SET name = $2 WHERE id = $1', [2, 'canoe']),
      [],
      'no rows from an UPDATE',
    )
    t.same(await db.query('UPDATE items SET name = $2 WHERE id = $1 RETURNING name', [2, 'raft']), [
      { name: 'raft' },
    ])
    t.same(await db.query('SELECT name FROM items WHERE id = $1', [99]), [], 'no rows found')
    const before = await prepared(db)
    for (let i = 0; i < 5; i++) await db.query(select, [[1]])
    t.equal(await prepared(db), before, 'a text seen before is not parsed again')
    t.ok(before >= 4, `each distinct text is one prepared statement (${before})`)
  }),
)

t.test('an error is the database error, and the next statements run', (t) =>
  withDb(t, async (db) => {
    await db.query('INSERT INTO items (id, name) VALUES ($1, $2)', [1, 'kayak'])
    await t.rejects(db.query('INSERT INTO items (id, name) VALUES ($1, $2)', [1, 'again']), { code: '23505' })
    await t.rejects(db.query('SELEC nothing'), { code: '42601' })
    await t.rejects(db.query('SELECT name FROM items WHERE id = $1', ['not a number']), { code: '22P02' })
    t.same(await db.query('SELECT name FROM items WHERE id = $1', [1]), [{ name: 'kayak' }])
    await t.rejects(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO items (id, name) VALUES ($1, $2)', [2, 'raft'])
        await tx.query('INSERT INTO items (id, name) VALUES ($1, $2)', [1, 'again'])
      }),
      { code: '23505' },
    )
    t.same(
      await db.query('SELECT id FROM items ORDER BY id'),
      [{ id: 1 }],
      'the failed transaction wrote nothing',
    )
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO items (id, name) VALUES ($1, $2)', [2, 'raft'])
    })
    t.same(await db.query('SELECT id FROM items ORDER BY id'), [{ id: 1 }, { id: 2 }])
  }),
)

t.test('statements from concurrent callers and a transaction never interleave', (t) =>
  withDb(t, async (db) => {
    const inserts = Array.from({ length: 50 }, (_, i) =>
      i % 10 === 0
        ? db.transaction(async (tx) => {
            await tx.query('INSERT INTO items (id, name) VALUES ($1, $2)', [i, `tx ${i}`])
            await tx.query('UPDATE items SET price = $2 WHERE id = $1', [i, i])
          })
        : db.query('INSERT INTO items (id, name, price) VALUES ($1, $2, $3)', [i, `one ${i}`, i]),
    )
    await Promise.all(inserts)
    const rows = await db.query<{ id: number; price: number }>('SELECT id, price FROM items ORDER BY id')
    t.same(
      rows,
      Array.from({ length: 50 }, (_, i) => ({ id: i, price: i })),
    )
  }),
)

t.test('a script that changes a table is seen by the statements run after it', (t) =>
  withDb(t, async (db) => {
    await db.query('INSERT INTO items (id, name) VALUES ($1, $2)', [1, 'kayak'])
    const all = 'SELECT * FROM items WHERE id = $1'
    t.same(Object.keys((await db.query(all, [1]))[0] ?? {}), [
      'id',
      'name',
      'price',
      'tags',
      'meta',
      'at',
      'ok',
    ])
    await db.exec(`ALTER TABLE items ADD COLUMN color text NOT NULL DEFAULT 'red'`)
    t.same((await db.query<{ color: string }>(all, [1]))[0]?.color, 'red')
    await db.transaction((tx) => tx.exec('ALTER TABLE items DROP COLUMN tags'))
    t.same(Object.keys((await db.query(all, [1]))[0] ?? {}), [
      'id',
      'name',
      'price',
      'meta',
      'at',
      'ok',
      'color',
    ])
  }),
)

t.test('the same text in two schemas reads each schema', (t) =>
  withDb(t, async (db) => {
    await db.query('INSERT INTO items (id, name) VALUES ($1, $2)', [1, 'live'])
    const other = db.forSchema('stmts_other')
    await db.exec('CREATE SCHEMA stmts_other')
    await other.exec('CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL)')
    await other.query('INSERT INTO items (id, name) VALUES ($1, $2)', [1, 'other'])
    const select = 'SELECT name FROM items WHERE id = $1'
    for (let round = 0; round < 2; round++) {
      t.same(await db.query(select, [1]), [{ name: 'live' }])
      t.same(await other.query(select, [1]), [{ name: 'other' }])
    }
    await other.close()
  }),
)

t.test('texts past the ones kept still answer', (t) =>
  withDb(t, async (db) => {
    await db.query('INSERT INTO items (id, name) VALUES ($1, $2)', [1, 'kayak'])
    for (let i = 0; i < 300; i++) {
      const rows = await db.query<{ n: number; name: string }>(
        `SELECT ${i} AS n, name FROM items WHERE id = $1`,
        [1],
      )
      t.same(rows, [{ n: i, name: 'kayak' }], `text ${i}`)
    }
    t.ok((await prepared(db)) <= 256, 'no more than 256 statements are kept')
    await db.transaction(async (tx) => {
      t.same(await tx.query('SELECT 299 AS n, name FROM items WHERE id = $1', [1]), [
        { n: 299, name: 'kayak' },
      ])
    })
  }),
)

t.test('an on-disk database keeps what prepared statements wrote across a reopen', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stmts-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const first = await openDb({ schema: 'stmts', dataDir })
  await first.exec(
    'CREATE SCHEMA IF NOT EXISTS stmts; CREATE TABLE items (id integer PRIMARY KEY, name text)',
  )
  for (let i = 0; i < 20; i++) await first.query('INSERT INTO items VALUES ($1, $2)', [i, `item ${i}`])
  await first.transaction(async (tx) => {
    await tx.query('UPDATE items SET name = $2 WHERE id = $1', [0, 'renamed'])
  })
  await first.close()
  const second = await openDb({ schema: 'stmts', dataDir })
  t.same(await second.query('SELECT count(*)::integer AS n FROM items'), [{ n: 20 }])
  t.same(await second.query('SELECT name FROM items WHERE id = $1', [0]), [{ name: 'renamed' }])
  await second.close()
})

t.test('with none kept, nothing is prepared and the answers are the same', async (t) => {
  const db = await openDb({ schema: 'stmts', preparedStatements: 0 })
  t.teardown(() => db.close())
  await db.exec('CREATE SCHEMA IF NOT EXISTS stmts; CREATE TABLE items (id integer PRIMARY KEY, name text)')
  await db.query('INSERT INTO items VALUES ($1, $2)', [1, 'kayak'])
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO items VALUES ($1, $2)', [2, 'raft'])
  })
  t.same(await db.query('SELECT id, name FROM items ORDER BY id'), [
    { id: 1, name: 'kayak' },
    { id: 2, name: 'raft' },
  ])
  t.equal(await prepared(db), 0)
})

t.test('a statement planned per run is not prepared, and answers the same', (t) =>
  withDb(t, async (db) => {
    await db.query('INSERT INTO items (id, name) VALUES ($1, $2)', [1, 'kayak'])
    const before = await prepared(db)
    const select = 'SELECT name FROM items WHERE name LIKE $1'
    for (let i = 0; i < 7; i++)
      t.same(await db.query(select, ['kay%'], { planPerRun: true }), [{ name: 'kayak' }])
    await db.transaction(async (tx) => {
      t.same(await tx.query(select, ['%ak'], { planPerRun: true }), [{ name: 'kayak' }])
    })
    t.equal(await prepared(db), before, 'nothing more prepared')
    t.same(await db.query(select, ['kay%']), [{ name: 'kayak' }])
    t.equal(await prepared(db), before + 1, 'the same text without the option is')
  }),
)

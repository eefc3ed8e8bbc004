import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { SchemaError, findSchema, loadSchemaFiles } from '../../avro/index.ts'

function record(name: string, namespace: string) {
  return JSON.stringify({ type: 'record', name, namespace, fields: [{ name: 'a', type: 'string' }] })
}

function avroFolder(t: { teardown(fn: () => void): void }, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'avro-catalogue-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

t.test('lists the runtime schemas with their versions', async (t) => {
  const listed = loadSchemaFiles()
    .filter((file) => file.fullName.startsWith('aquastream.runtime.'))
    .map((file) => `${file.fullName} v${file.version}${file.current ? ' current' : ''}`)
  t.same(listed, [
    'aquastream.runtime.CountInput v1 current',
    'aquastream.runtime.CountTotal v1',
    'aquastream.runtime.CountTotal v2 current',
  ])
})

t.test('the current version is one past the newest history version', async (t) => {
  const root = avroFolder(t, {
    'schemas/shop/Order.avsc': record('Order', 'aquastream.shop'),
    'history/shop/Order.v1.avsc': record('Order', 'aquastream.shop'),
    'history/shop/Order.v3.avsc': record('Order', 'aquastream.shop'),
  })
  t.equal(findSchema('aquastream.shop.Order', root).version, 4)
})

t.test('refuses files that break the layout', async (t) => {
  const cases: Record<string, Record<string, string>> = {
    'wrong namespace': { 'schemas/shop/Order.avsc': record('Order', 'aquastream.other') },
    'file name is not the record name': { 'schemas/shop/Order.avsc': record('Basket', 'aquastream.shop') },
    'history without a current schema': {
      'schemas/shop/Order.avsc': record('Order', 'aquastream.shop'),
      'history/shop/Basket.v1.avsc': record('Basket', 'aquastream.shop'),
    },
    'history file without a version': { 'history/shop/Order.avsc': record('Order', 'aquastream.shop') },
    'not JSON': { 'schemas/shop/Order.avsc': '{' },
  }
  for (const [name, files] of Object.entries(cases)) {
    t.throws(() => loadSchemaFiles(avroFolder(t, files)), { code: 'SCHEMA_INVALID' }, name)
  }
})

t.test('an unknown name is SCHEMA_NOT_FOUND', async (t) => {
  t.throws(() => findSchema('aquastream.runtime.Nope'), SchemaError)
  t.throws(() => findSchema('aquastream.runtime.Nope'), { code: 'SCHEMA_NOT_FOUND' })
})

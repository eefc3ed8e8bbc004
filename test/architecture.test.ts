/**
 * The import boundaries (.dependency-cruiser.cjs, run by `npm run lint`) hold on the tree and catch a
 * wrong-way import; files stay small where the decisions, read models and routes live.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CONFIG = join(ROOT, '.dependency-cruiser.cjs')
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs')

function cruise(cwd: string, paths: readonly string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [DEPCRUISE, '--config', CONFIG, '--output-type', 'err', ...paths], {
    cwd,
    encoding: 'utf8',
  })
  return { status: run.status, output: `${run.stdout}${run.stderr}` }
}

t.test('the tree keeps its import boundaries', async (t) => {
  const { status, output } = cruise(ROOT, [
    'main.ts',
    ...['avro', 'streams', 'processors', 'topologies', 'read-models', 'query-api', 'infra', 'examples'],
  ])
  t.equal(status, 0, output)
  t.match(output, /no dependency violations found/)
})

t.test('a wrong-way import fails the check, naming the rule', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'boundaries-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'tsconfig.json'), readFileSync(join(ROOT, 'tsconfig.json')))
  const files: Record<string, string> = {
    'streams/index.ts': "export { decide } from '../processors/index.ts'\n",
    'processors/index.ts':
      "export const decide = (): number => 1\nexport { row } from '../read-models/catalog/rows.ts'\n",
    'read-models/catalog/index.ts': "export { row } from './rows.ts'\n",
    'read-models/catalog/rows.ts': 'export const row = 1\n',
    'query-api/index.ts':
      "export { row } from '../read-models/catalog/rows.ts'\nexport * from '../infra/index.ts'\n",
    'infra/index.ts': 'export const config = {}\n',
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, dirname(path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  const { status, output } = cruise(dir, ['streams', 'processors', 'read-models', 'query-api', 'infra'])
  t.not(status, 0, 'the check fails')
  t.match(output, /streams-imports-upward: streams\/index\.ts → processors\/index\.ts/)
  t.match(output, /processors-imports-upward: processors\/index\.ts → read-models\/catalog\/rows\.ts/)
  t.match(output, /reaches-into-internals: query-api\/index\.ts → read-models\/catalog\/rows\.ts/)
  t.match(output, /query-api-imports-upward: query-api\/index\.ts → infra\/index\.ts/)
})

t.test('no file in processors/, read-models/ or query-api/routes/ over ~350 lines', async (t) => {
  const tooLong: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts')) {
        const lines = readFileSync(join(ROOT, path), 'utf8').split('\n').length - 1
        if (lines > 360) tooLong.push(`${path}: ${lines} lines`)
      }
    }
  }
  for (const dir of ['processors', 'read-models', join('query-api', 'routes')]) walk(dir)
  t.same(tooLong, [], 'split these by concern')
})
